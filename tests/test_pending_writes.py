"""Writes made while the database is down, shared by the gateways through Redis (core/storage/pending_writes.py).

Two gateways (Flask apps) on the run's PostgreSQL database and the local Redis (a key of this test's own)
answer patients while the database is unreachable; once it is back, they replay what both wrote. The
SQLite/file path of the embedded set-up is tested in tests/test_database_faults.py.
"""

from __future__ import annotations

import datetime as dt
import secrets
import threading

import pytest
import redis
from sqlalchemy import select

from core.config import Settings
from core.storage.conversations import history
from core.storage.database import Database
from core.storage.models import Ticket
from core.storage.pending_writes import PendingWrites
from core.storage.spool import Spool
from tests.support.inbox import empty_postgres
from tests.support.web import API_KEYS_SETTING, RASA_ANSWER
from tests.support.web import post_chat as post

REDIS_URL = "redis://127.0.0.1:6379/0"
UNREACHABLE_DATABASE = "postgresql://postgres@127.0.0.1:9/nowhere"
UNREACHABLE_REDIS = "redis://127.0.0.1:9/0"


@pytest.fixture
def redis_key():
    """A stream key of this test only; removed afterwards."""
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.skip(f"no Redis on 127.0.0.1:6379 ({exc.__class__.__name__})")
    key = f"test:pending-writes:{secrets.token_hex(6)}"
    yield key
    client.delete(key, f"{key}:replaying")
    client.close()


@pytest.fixture
def gateways(postgres_url, redis_key, fake_rasa, fake_actions, monkeypatch, tmp_path):
    """Two gateways sharing the database and the Redis stream, each with a var/ (and local spool) of its own."""
    from assistant.gateway import create_app

    empty_postgres(postgres_url)
    fake_rasa.reply = RASA_ANSWER
    apps = []
    for number in (1, 2):
        for name, value in {
            "ASSISTANT_DATABASE_URL": postgres_url,
            "RASA_URL": fake_rasa.url,
            "ACTION_SERVER_URL": fake_actions.url,
            "ASSISTANT_RASA_TIMEOUT": "2",
            "ASSISTANT_VAR_DIR": str(tmp_path / f"gateway{number}"),
            "ASSISTANT_API_KEYS": API_KEYS_SETTING,
            "ASSISTANT_PENDING_WRITES_REDIS": REDIS_URL,
            "ASSISTANT_PENDING_WRITES_KEY": redis_key,
        }.items():
            monkeypatch.setenv(name, value)
        apps.append(create_app(Settings.from_env(), {"TESTING": True}))
    yield apps
    for app in apps:
        app.extensions["db"].engine.dispose()


def set_database(app, database: Database) -> None:
    app.extensions["db"] = app.extensions["turns"].db = database


def say(app, sender: str, message: str) -> tuple[dt.datetime, dt.datetime]:
    """Send a web patient's message; the times just before and after it was answered."""
    before = dt.datetime.now(dt.UTC)
    response = post(app.test_client(), {"sender": sender, "message": message})
    assert response.status_code == 200 and response.json["messages"]
    return before, dt.datetime.now(dt.UTC)


def replay_at_once(gateways) -> list[int]:
    """Each gateway replays the pending writes, all starting at the same instant; what each replayed."""
    start, replayed = threading.Barrier(len(gateways)), []

    def replay(app) -> None:
        start.wait()
        replayed.append(app.extensions["turns"].replay_pending())

    threads = [threading.Thread(target=replay, args=(app,)) for app in gateways]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return replayed


def test_two_gateways_outage_writes_replayed_at_once_are_written_once_in_order_with_their_times(gateways, postgres_url):
    first, second = gateways
    working = first.extensions["db"]
    broken = Database(UNREACHABLE_DATABASE)
    for app in gateways:
        set_database(app, broken)

    # One conversation moves between the gateways (its gateway was removed, or the balancer changed its mind).
    said = [
        (first, "shared", "what is embolization?"),
        (second, "shared", "how do I prepare?"),
        (first, "shared", "my leg is cold and blue and numb"),
        (second, "only-second", "when can I drive?"),
        (first, "only-first", "how long does it take?"),
        (second, "shared", "thanks"),
    ]
    times = {message: say(app, sender, message) for app, sender, message in said}
    assert first.extensions["spool"].backlog() == second.extensions["spool"].backlog() == 13  # 6 x 2 and a ticket
    assert not (first.config["SETTINGS"].var_dir / "spool").exists()  # nothing left on either machine

    for app in gateways:
        set_database(app, working)
    health = first.test_client().get("/readyz").json["checks"]["database"]
    assert health == "ok, 13 write(s) waiting to be replayed"

    replayed = replay_at_once(gateways)

    assert sum(replayed) == 13
    assert first.extensions["spool"].backlog() == second.extensions["spool"].backlog() == 0
    check_transcripts(working, said, times)


def test_a_replay_that_overlaps_another_writes_each_entry_once(gateways, monkeypatch):
    """As when one replayer's lock runs out while it still works and another starts: both apply the stream."""
    first, second = gateways
    working = first.extensions["db"]
    for app in gateways:
        set_database(app, Database(UNREACHABLE_DATABASE))
    said = [(first, "p", f"question number {n}") for n in range(4)] + [(second, "p", "my leg is cold and blue and numb")]
    times = {message: say(app, sender, message) for app, sender, message in said}
    for app in gateways:
        set_database(app, working)
    other = second.extensions["spool"]
    monkeypatch.setattr(other, "replay_lock", lambda shared: shared.lock(f"{other.key}:another-lock", timeout=60, blocking=False))

    replayed = replay_at_once(gateways)
    assert sum(replayed) >= 11  # both replayed; an entry the other already wrote is taken off but not written again
    check_transcripts(working, said, times)


def check_transcripts(database: Database, said: list, times: dict) -> None:
    """Each conversation: every message once, in the order said, at the time it was said; one urgent ticket."""
    for sender in {sender for _, sender, _ in said}:
        messages = history(database, "web", sender)
        patient = [m for m in messages if m["role"] == "patient"]
        assert [m["text"] for m in patient] == [message for _, s, message in said if s == sender]
        assert len(messages) == 2 * len(patient)  # one reply each
        for message in patient:
            before, after = times[message["text"]]
            assert before <= dt.datetime.fromisoformat(message["at"]).astimezone(dt.UTC) <= after
        stamps = [m["at"] for m in messages]
        assert stamps == sorted(stamps)
    with database.session() as session:
        [ticket] = session.scalars(select(Ticket)).all()
        before, after = times["my leg is cold and blue and numb"]
        assert ticket.kind == "urgent" and before <= ticket.created_at <= after


def test_with_redis_down_too_writes_wait_on_this_machine_and_join_the_shared_queue_when_it_is_back(redis_key, tmp_path, storage_url):
    database = Database(storage_url)
    local = Spool(tmp_path / "spool" / "pending-writes.jsonl")
    cut_off = PendingWrites(local, UNREACHABLE_REDIS, redis_key)
    cut_off.put("messages", {"channel": "web", "sender": "p", "entries": [["patient", "hello", {}]]}, "web:p")
    assert local.backlog() == 1 and cut_off.backlog() == 1

    written = []
    handlers = {"messages": lambda write_id, at, **payload: written.append((payload["entries"], write_id, at))}
    shared = PendingWrites(local, REDIS_URL, redis_key)
    assert shared.replay(handlers) == 1
    assert local.backlog() == shared.backlog() == 0
    [(entries, write_id, at)] = written
    assert entries == [["patient", "hello", {}]] and write_id and at <= dt.datetime.now(dt.UTC)
    database.engine.dispose()


def test_an_entry_replayed_twice_is_written_once(storage_url, redis_key):
    """A replayer that died after the write committed but before the entry left the stream."""
    from core.storage.conversations import add_messages

    database = Database(storage_url)
    at = dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.UTC)
    for _ in range(2):
        add_messages(database, "web", "p", [("patient", "hello", {})], at=at, write_id="write-1")
    [message] = history(database, "web", "p")
    assert message["text"] == "hello" and dt.datetime.fromisoformat(message["at"]).replace(tzinfo=dt.UTC) == at
    database.engine.dispose()


def test_a_redis_that_does_not_answer_costs_one_time_out_not_one_per_write(tmp_path):
    """The patient's reply waits for these writes: after one time-out they go straight to the local file."""
    import socket
    import time

    from core.storage import pending_writes

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # connections are accepted by the kernel; nothing is ever read or answered
    local = Spool(tmp_path / "pending-writes.jsonl")
    queue = PendingWrites(local, f"redis://127.0.0.1:{silent.getsockname()[1]}/0", "test:silent")
    try:
        durations = []
        for n in range(3):
            started = time.monotonic()
            queue.put("messages", {"channel": "web", "sender": "p", "entries": [["patient", str(n), {}]]}, "web:p")
            durations.append(time.monotonic() - started)
        assert durations[0] < 3 * pending_writes.REDIS_TIMEOUT_SECONDS
        assert max(durations[1:]) < 0.2  # upper bounds on a busy machine
        assert local.backlog() == 3 and queue.backlog() == 3
    finally:
        silent.close()


def test_while_redis_cannot_be_read_later_writes_wait_behind_the_shared_queue_and_keep_their_order(redis_key, tmp_path, monkeypatch):
    """A write queued in the stream during a database outage, then Redis cut as the database returns: the next
    write must not reach the database before the queued one (urgent messages were stored out of order)."""
    from core.storage import pending_writes
    from tests.support.tcp_proxy import TcpProxy

    monkeypatch.setattr(pending_writes, "RETRY_REDIS_AFTER_SECONDS", 0.0)
    written = []
    handlers = {"messages": lambda write_id, at, **payload: written.append(payload["entries"][0][1])}
    with TcpProxy("127.0.0.1", 6379) as proxy:
        queue = PendingWrites(Spool(tmp_path / "pending-writes.jsonl"), f"redis://127.0.0.1:{proxy.port}/0", redis_key)
        queue.put("messages", {"channel": "web", "sender": "p", "entries": [["patient", "older", {}]]}, "web:p")
        with proxy.cut():
            queue.put("messages", {"channel": "web", "sender": "p", "entries": [["patient", "newer", {}]]}, "web:p")
            replayed_during_the_cut = queue.replay(handlers)
            waits = not queue.nothing_waits()
        assert (replayed_during_the_cut, written, waits) == (0, [], True)
        assert queue.replay(handlers) == 2
        assert written == ["older", "newer"] and queue.nothing_waits()


def test_a_message_sent_again_during_the_outage_after_its_gateway_died_is_stored_and_answered_once(gateways, fake_rasa):
    """The first send was stored, then its gateway was killed before the reply; the patient's "Try again" reached
    the other gateway while the database was unreachable, so it could not see the first: queued, then replayed."""
    from core.storage.conversations import add_messages

    first, second = gateways
    working = first.extensions["db"]
    add_messages(working, "web", "resent", [("patient", "how do I prepare?", {"client_message_id": "resent-during-outage"})])
    set_database(second, Database(UNREACHABLE_DATABASE))
    body = {"sender": "resent", "message": "how do I prepare?", "client_message_id": "resent-during-outage"}
    got = post(second.test_client(), body).json["messages"]
    set_database(second, working)
    assert second.extensions["turns"].replay_pending() == 2  # the message again, and its reply
    stored = [(m["role"], m["text"]) for m in history(working, "web", "resent")]
    assert stored == [("patient", "how do I prepare?"), ("assistant", got[0]["text"])]
    # Sent a third time, now with the database there: the reply stored, not another turn.
    asked = len(fake_rasa.received)
    assert post(second.test_client(), body).json["messages"] == got
    assert len(fake_rasa.received) == asked
    assert len(history(working, "web", "resent")) == 2


def test_a_message_answered_then_sent_again_during_the_outage_keeps_both_answers_the_second_marked(gateways, fake_rasa):
    """The first send was stored with its answer, which never reached the client; the resend reached the other
    gateway while the database was unreachable, was answered anew and queued. The patient read the second answer:
    the transcript keeps it after the first, marked as a resend's, and a later resend still gets the first."""
    from core.storage.conversations import RESEND, add_messages

    first, second = gateways
    working = first.extensions["db"]
    ask = ("patient", "how do I prepare?", {"client_message_id": "answered-then-resent"})
    add_messages(working, "web", "resent-2", [ask, ("assistant", "Do not eat for six hours.", {"reply_to": "answered-then-resent"})])
    set_database(second, Database(UNREACHABLE_DATABASE))
    body = {"sender": "resent-2", "message": "how do I prepare?", "client_message_id": "answered-then-resent"}
    got = post(second.test_client(), body).json["messages"]
    set_database(second, working)
    assert second.extensions["turns"].replay_pending() == 2
    stored = history(working, "web", "resent-2")
    assert [(m["role"], m["text"], bool(m["data"].get(RESEND))) for m in stored] == [
        ("patient", "how do I prepare?", False),
        ("assistant", "Do not eat for six hours.", False),
        ("assistant", got[0]["text"], True),
    ]
    asked = len(fake_rasa.received)
    assert [m["text"] for m in post(second.test_client(), body).json["messages"]] == ["Do not eat for six hours."]
    assert len(fake_rasa.received) == asked and len(history(working, "web", "resent-2")) == 3

"""SMS and WhatsApp messages as durable jobs (core/storage/channel_jobs.py, assistant/channels/worker.py).

The webhook stores the message before it answers the provider; a gateway that dies afterwards leaves the job,
which another gateway (or the restarted one) answers, once. Gateways are Flask apps on one database; a
"killed" gateway is one whose channel threads never ran (`stopped_workers`), or a claim left with its lease
run out. The PostgreSQL tests use a database of this test run (tests/support/inbox.py).
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import defaultdict

import pytest
from sqlalchemy import select, update

from assistant.channels import worker as channel_worker
from core.config import Settings
from core.storage import channel_jobs
from core.storage.channel_jobs import NewJob
from core.storage.database import Database
from core.storage.models import ChannelJob, Conversation, InboundMessage, Ticket
from tests.support.twilio_webhook import ANSWER, PATIENT, point_gateway_at, post, twilio_params

SETTLE_SECONDS = 20


@pytest.fixture
def gateway(database_url, fake_rasa, fake_twilio, monkeypatch, tmp_path):
    """make(): a gateway (Flask app) on the test's database; every one made is closed at the end."""
    from assistant.gateway import create_app

    point_gateway_at(
        monkeypatch,
        fake_twilio,
        database_url=database_url,
        rasa_url=fake_rasa.url,
        var_dir=tmp_path,
    )
    fake_rasa.reply = ANSWER
    made = []

    def make():
        app = create_app(Settings.from_env(), {"TESTING": True})
        made.append(app)
        return app

    yield make
    for app in made:
        app.extensions["channel_worker"].close()


@pytest.fixture
def stopped_workers(monkeypatch):
    """Gateways made meanwhile store jobs but never run them (as if killed right after answering the webhook)."""
    real_start = channel_worker.Worker.start
    monkeypatch.setattr(channel_worker.Worker, "start", lambda self: None)
    yield lambda worker: real_start(worker)
    monkeypatch.setattr(channel_worker.Worker, "start", real_start)


def jobs_in(database: Database) -> list[ChannelJob]:
    with database.session() as session:
        return list(session.scalars(select(ChannelJob).order_by(ChannelJob.id)))


def test_the_message_is_stored_as_a_job_before_the_webhook_is_answered_and_a_worker_answers_it(
    gateway, stopped_workers, fake_twilio, database
):
    app = gateway()
    response = post(app.test_client(), twilio_params("what is embolization?", MessageSid="SMstored1"))
    assert response.status_code == 200
    [job] = jobs_in(database)  # stored with its message id before the 200, not answered yet
    assert (job.channel, job.sender_key, job.message_id, job.payload, job.done_at) == (
        "sms",
        PATIENT,
        "SMstored1",
        {"text": "what is embolization?"},
        None,
    )
    assert fake_twilio.messages == []

    stopped_workers(app.extensions["channel_worker"])  # the gateway comes back: its threads resume the job
    assert app.extensions["channel_worker"].join(SETTLE_SECONDS)
    assert fake_twilio.bodies() == [fake_twilio.bodies()[0]] and fake_twilio.bodies()[0].startswith("Embolization blocks")
    [job] = jobs_in(database)
    assert job.done_at is not None and job.outcome == "answered" and job.attempts == 1
    assert job.payload == {}  # the text stays in the transcript only


def test_a_patients_deletion_and_the_retention_purge_remove_their_answered_jobs(database):
    from assistant.inbox.retention import TrackerStore, forget, purge

    tracker = TrackerStore("sqlite", "/nonexistent/rasa_tracker.db")
    channel_jobs.enqueue(database, "twilio", [NewJob("sms", "+1", "a", {"text": "x"}), NewJob("sms", "+2", "b", {"text": "y"})])
    for holder in ("one", "two"):
        channel_jobs.finish(database, channel_jobs.claim(database, holder, 60), holder)
    forget(database, "sms", "+1", tracker)
    assert [job.sender_key for job in jobs_in(database)] == ["+2"]
    purge(database, 1, tracker, now=dt.datetime.now(dt.UTC) + dt.timedelta(days=2))
    assert jobs_in(database) == []


def test_a_killed_workers_job_is_taken_over_after_its_lease_and_answered_once(gateway, stopped_workers, fake_twilio, database):
    dying = gateway()
    assert post(dying.test_client(), twilio_params("what is embolization?")).status_code == 200
    claimed = channel_jobs.claim(database, "killed-worker", lease_seconds=300)  # the dying gateway's thread took it
    assert claimed is not None

    survivor = gateway()
    jobs = survivor.extensions["channel_worker"]
    jobs.poll_seconds = 0.05
    stopped_workers(jobs)
    assert not jobs.join(0.5)  # the lease still runs: nobody else answers it
    assert fake_twilio.messages == []

    with database.session() as session:  # the lease runs out
        session.execute(update(ChannelJob).values(lease_until=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)))
    assert jobs.join(SETTLE_SECONDS)
    assert len(fake_twilio.messages) == 1
    [job] = jobs_in(database)
    assert job.outcome == "answered" and job.attempts == 2 and job.holder != "killed-worker"
    # The killed worker's late "done" changes nothing: the job is no longer its own.
    assert not channel_jobs.finish(database, claimed, "killed-worker")


def test_a_provider_retry_after_a_crash_is_answered_once(gateway, stopped_workers, fake_twilio, database):
    params = twilio_params("what is embolization?")
    crashed = gateway()  # acknowledges the message, then dies before answering it
    assert post(crashed.test_client(), params).status_code == 200

    survivor = gateway()
    assert post(survivor.test_client(), params).status_code == 200  # the provider's retry reaches another gateway
    assert len(jobs_in(database)) == 1  # a duplicate of the stored job, not a second one
    stopped_workers(survivor.extensions["channel_worker"])
    assert survivor.extensions["channel_worker"].join(SETTLE_SECONDS)
    assert len(fake_twilio.messages) == 1


def test_a_retry_of_a_message_that_was_never_stored_is_answered(gateway, fake_twilio, database, monkeypatch):
    params = twilio_params("what is embolization?")
    app = gateway()
    real_enqueue = channel_jobs.enqueue

    def crash_before_commit(db, provider, jobs):  # the id is written, the transaction never commits
        with db.session() as session:
            session.add(InboundMessage(provider=provider, message_id=jobs[0].message_id))
            session.flush()
            raise RuntimeError("the process died in the middle of the transaction")

    monkeypatch.setattr(channel_jobs, "enqueue", crash_before_commit)
    assert post(app.test_client(), params).status_code == 500  # the provider saw no 200: it retries
    monkeypatch.setattr(channel_jobs, "enqueue", real_enqueue)
    with database.session() as session:
        assert session.scalars(select(InboundMessage)).all() == []

    assert post(app.test_client(), params).status_code == 200
    assert app.extensions["channel_worker"].join(SETTLE_SECONDS)
    assert len(fake_twilio.messages) == 1


def test_with_the_database_down_the_patient_is_still_answered(gateway, fake_twilio, monkeypatch):
    """The message cannot be stored: it is answered from the gateway's memory, and no job is left behind."""
    import dataclasses

    from assistant.channels.inbound import Services

    app = gateway()
    broken = Database("postgresql://postgres@127.0.0.1:9/nowhere")
    twilio = app.extensions["channels_twilio"]
    monkeypatch.setitem(
        app.extensions,
        "channels_twilio",
        dataclasses.replace(twilio, services=Services(broken, twilio.services.turns, twilio.services.site)),
    )
    monkeypatch.setattr(twilio.services.turns, "db", broken)
    started = time.monotonic()
    assert post(app.test_client(), twilio_params("my leg is bleeding a lot")).status_code == 200
    assert time.monotonic() - started < 2
    assert app.extensions["channel_worker"].join(SETTLE_SECONDS)
    assert fake_twilio.bodies()[0].startswith(f"This may be an emergency. Call {app.config['SETTINGS'].site.emergency_number} now.")


# --- the claim, on SQLite and PostgreSQL ---


def test_one_conversations_jobs_are_claimed_one_at_a_time_in_order(storage_url):
    database = Database(storage_url)
    channel_jobs.enqueue(database, "twilio", [NewJob("sms", "+1", f"m{n}", {"text": str(n)}) for n in range(3)])
    channel_jobs.enqueue(database, "twilio", [NewJob("sms", "+2", "other", {"text": "x"})])
    first = channel_jobs.claim(database, "a", 60)
    second = channel_jobs.claim(database, "b", 60)
    assert (first.sender_key, first.payload, second.sender_key) == ("+1", {"text": "0"}, "+2")
    assert channel_jobs.claim(database, "c", 60) is None  # +1's next waits for its first
    assert channel_jobs.finish(database, first, "a")
    assert channel_jobs.claim(database, "c", 60).payload == {"text": "1"}
    database.engine.dispose()


def test_a_message_id_twice_in_one_delivery_is_stored_once_in_its_first_place(database):
    stored = channel_jobs.enqueue(
        database, "whatsapp", [NewJob("whatsapp", "+1", id_, {"text": id_}) for id_ in ("first", "second", "first", "third")]
    )
    assert [job.message_id for job in stored] == [job.message_id for job in jobs_in(database)] == ["first", "second", "third"]


def test_a_job_whose_worker_dies_every_time_is_set_aside_after_the_last_attempt(storage_url):
    database = Database(storage_url)
    channel_jobs.enqueue(database, "twilio", [NewJob("sms", "+1", f"m{n}", {"text": str(n)}) for n in range(2)])
    for attempt in range(channel_jobs.MAX_ATTEMPTS):
        job = channel_jobs.claim(database, f"dies-{attempt}", -1)  # a lease that has already run out
        assert job.payload == {"text": "0"}
    job = channel_jobs.claim(database, "next", 60)
    assert job.payload == {"text": "1"}  # the poisonous first message no longer holds up the conversation
    assert [j.outcome for j in jobs_in(database)] == ["abandoned", None]
    # Staff are asked to reply to it themselves, once, with the message (the patient got no reply).
    with database.session() as session:
        tickets = session.execute(select(Ticket.route, Ticket.summary, Conversation.sender_key).join(Conversation)).all()
    assert [(route, sender) for route, _, sender in tickets] == [("unanswered", "+1")]
    assert "got no reply" in tickets[0].summary and "The message: 0" in tickets[0].summary
    database.engine.dispose()


def test_two_gateways_on_postgresql_never_answer_one_conversation_twice_at_once_and_keep_its_order(postgres_url):
    from tests.support.inbox import empty_postgres

    empty_postgres(postgres_url)
    senders = [f"+4477009000{n:02d}" for n in range(4)]
    per_sender = 8
    database = Database(postgres_url)
    for n in range(per_sender):  # arrival order: each sender's n-th message before anyone's (n+1)-th
        channel_jobs.enqueue(database, "twilio", [NewJob("sms", sender, f"{sender}-{n}", {"text": str(n)}) for sender in senders])

    lock = threading.Lock()
    running: dict[str, int] = defaultdict(int)
    overlaps: list[str] = []
    answered: dict[str, list[int]] = defaultdict(list)
    by_gateway: dict[int, int] = defaultdict(int)

    def handler(gateway: int):
        def answer(job) -> None:
            with lock:
                running[job.sender_key] += 1
                if running[job.sender_key] > 1:
                    overlaps.append(job.sender_key)
                by_gateway[gateway] += 1
            time.sleep(0.02)  # the turn's work, so that overlaps would show
            with lock:
                answered[job.sender_key].append(int(job.payload["text"]))
                running[job.sender_key] -= 1

        return answer

    gateways = []
    for number in (1, 2):  # two processes' workers: own engines, own threads
        jobs = channel_worker.Worker(Database(postgres_url), threads=3, lease_seconds=60, poll_seconds=0.05)
        jobs.handle("sms", handler(number))
        gateways.append(jobs)
    for jobs in gateways:
        jobs.start()
    try:
        assert all(jobs.join(SETTLE_SECONDS) for jobs in gateways)
    finally:
        for jobs in gateways:
            jobs.close()
            jobs.db.engine.dispose()
    assert overlaps == []
    assert dict(answered) == {sender: list(range(per_sender)) for sender in senders}
    assert set(by_gateway) == {1, 2}  # both took part
    assert all(job.outcome == "answered" and job.attempts == 1 for job in jobs_in(database))
    database.engine.dispose()


def test_the_threads_start_with_the_first_request_not_in_a_command_line_process(gateway):
    app = gateway()  # as `flask retention ...` builds it: no request, so no thread claims a job it would abandon
    jobs = app.extensions["channel_worker"]
    assert not any(thread.is_alive() for thread in jobs._threads)
    assert app.test_client().get("/livez").status_code == 200  # the load balancer's first probe
    assert len(jobs._threads) == jobs.threads and all(thread.is_alive() for thread in jobs._threads)

"""Several of each process (#25): liveness apart from readiness, the internal token, routing by sender, the
migration lock. Everything here starts no process of the assistant (the scaled system: test_scaled_system.py)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import replace
from types import SimpleNamespace

import pytest
from sqlalchemy import create_engine, inspect, text

from assistant.rasa_client import RasaClient, RasaUnavailable
from assistant.routing import preference
from core.config import INTERNAL_TOKEN_HEADER, ROOT, Settings
from core.storage import migrate
from rasa_addons import internal_auth
from tests.conftest import TEST_INTERNAL_TOKEN
from tests.support.fake_rasa import FakeRasa
from tests.support.inbox import postgres_database
from tests.support.ports import free_port
from tests.support.web import web_headers

TOKEN = TEST_INTERNAL_TOKEN

# --- liveness and readiness ---


def test_livez_answers_while_rasa_the_action_server_and_the_database_are_down(client, app, fake_rasa, monkeypatch):
    monkeypatch.setattr(app.extensions["rasa"], "base_urls", [f"http://127.0.0.1:{free_port()}"])
    monkeypatch.setitem(app.config, "SETTINGS", replace(app.config["SETTINGS"], action_server_url=f"http://127.0.0.1:{free_port()}"))

    def database_down():
        raise OSError("database down")

    monkeypatch.setattr(app.extensions["db"], "ping", database_down)
    live = client.get("/livez")
    assert (live.status_code, live.json) == (200, {"status": "ok"})
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json["checks"]["rasa"] == "unreachable"
    assert ready.json["checks"]["database"].startswith("unreachable")
    assert ready.json["checks"]["action_server"] == "unreachable"


def test_readyz_is_what_healthz_was_and_healthz_still_answers_it(client, app, monkeypatch):
    monkeypatch.setattr("assistant.gateway.health.is_current", lambda *_: True)
    ready, health = client.get("/readyz"), client.get("/healthz")
    assert ready.status_code == health.status_code == 200
    assert ready.json == health.json
    assert (ready.json["status"], ready.json["checks"]) == (
        "ok",
        {"database": "ok", "rasa": "ok", "action_server": "ok", "knowledge_index": "ok"},
    )
    assert set(ready.json["artifacts"]) == {"knowledge_index", "model"}
    monkeypatch.setattr("assistant.gateway.health.is_current", lambda *_: False)
    assert client.get("/readyz").status_code == client.get("/healthz").status_code == 503


# --- the internal token ---


def settings_with(monkeypatch, **variables: str) -> Settings:
    monkeypatch.delenv("ASSISTANT_INTERNAL_TOKEN", raising=False)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    return Settings.from_env()


@pytest.mark.parametrize(
    "variables",
    [
        {"RASA_ENDPOINTS": "endpoints.scaled.yml"},
        {"TRACKER_DIALECT": "postgresql"},
        {"RASA_URL": "http://127.0.0.1:5005,http://127.0.0.1:5006"},
        {"ACTION_SERVER_URL": "http://actions:5055"},
    ],
)
def test_a_scaled_set_up_refuses_to_start_without_the_internal_token(monkeypatch, variables):
    settings = settings_with(monkeypatch, **variables)
    assert settings.scaled
    with pytest.raises(RuntimeError, match="ASSISTANT_INTERNAL_TOKEN is required"):
        settings.check_internal_token()
    from assistant.gateway import create_app

    with pytest.raises(RuntimeError, match="ASSISTANT_INTERNAL_TOKEN is required"):
        create_app(settings)
    settings_with(monkeypatch, **variables, ASSISTANT_INTERNAL_TOKEN=TOKEN).check_internal_token()


def test_the_embedded_set_up_needs_no_token_and_a_short_token_is_refused(monkeypatch, tmp_path):
    embedded = settings_with(monkeypatch, ASSISTANT_DATABASE_URL=f"sqlite:///{tmp_path}/a.db")
    assert not embedded.scaled
    embedded.check_internal_token()
    assert embedded.internal_headers == {}
    with pytest.raises(RuntimeError, match="too short"):
        settings_with(monkeypatch, ASSISTANT_INTERNAL_TOKEN="short").check_internal_token()


def test_the_gateway_sends_the_token_to_rasa_and_the_action_server(client, fake_rasa, fake_actions, monkeypatch):
    monkeypatch.setattr("assistant.gateway.health.is_current", lambda *_: True)
    fake_rasa.reply = [{"text": "hello"}]
    assert (
        client.post("/api/chat", json={"message": "what is embolization?"}, headers=web_headers(client.application, "tok1")).status_code
        == 200
    )
    assert client.get("/readyz").status_code == 200
    fake_actions.wait_for(1)
    assert fake_rasa.headers and all(h.get(INTERNAL_TOKEN_HEADER) == TOKEN for h in fake_rasa.headers)
    assert fake_actions.headers and all(h.get(INTERNAL_TOKEN_HEADER) == TOKEN for h in fake_actions.headers)


def test_rasa_and_the_action_server_let_through_only_the_token_and_their_probe():
    from rasa_sdk_plugins import allowed as actions_allowed

    for allowed, probe in ((internal_auth.allowed, "/"), (actions_allowed, "/health")):
        assert allowed("POST", "/webhook", TOKEN, TOKEN)
        assert not allowed("POST", "/webhook", None, TOKEN)
        assert not allowed("POST", "/webhook", TOKEN[:-1] + "y", TOKEN)
        assert not allowed("GET", "/webhooks/rest/", "", TOKEN)
        assert allowed("GET", probe, None, TOKEN)
        assert not allowed("POST", probe, None, TOKEN)
    assert actions_allowed("POST", "/webhook", None, "")  # no token configured: the embedded set-up


def test_the_action_servers_middleware_refuses_a_request_without_the_token(monkeypatch):
    from sanic import Sanic

    from rasa_sdk_plugins import ActionServerRoutes

    monkeypatch.setenv("ASSISTANT_INTERNAL_TOKEN", TOKEN)
    app = Sanic(f"actions_{time.monotonic_ns()}")
    ActionServerRoutes().attach_sanic_app_extensions(app)
    [middleware] = [m.func for m in app.request_middleware if m.func.__name__ == "internal_token"]

    def request(method, path, headers):
        return SimpleNamespace(method=method, path=path, headers=headers)

    refused = asyncio.run(middleware(request("POST", "/webhook", {})))
    assert refused.status == 401
    assert asyncio.run(middleware(request("POST", "/webhook", {INTERNAL_TOKEN_HEADER: TOKEN}))) is None
    assert asyncio.run(middleware(request("GET", "/health", {}))) is None

    monkeypatch.setenv("RASA_ENDPOINTS", "endpoints.scaled.yml")
    monkeypatch.delenv("ASSISTANT_INTERNAL_TOKEN")
    with pytest.raises(RuntimeError, match="ASSISTANT_INTERNAL_TOKEN is required"):
        ActionServerRoutes().attach_sanic_app_extensions(Sanic(f"actions_{time.monotonic_ns()}"))


def test_rasa_finds_its_endpoints_file_on_its_command_line_and_the_scaled_one_asks_for_the_token():
    assert internal_auth.endpoints_file(["run", "--endpoints", "endpoints.scaled.yml", "-p", "5"]) == "endpoints.scaled.yml"
    assert internal_auth.endpoints_file(["run", "--endpoints=x.yml"]) == "x.yml"
    assert internal_auth.endpoints_file(["run"]) == "endpoints.yml"
    scaled = (ROOT / "endpoints.scaled.yml").read_text()
    assert "internal_auth:\n  token: ${ASSISTANT_INTERNAL_TOKEN}" in scaled
    assert "X-Assistant-Token: ${ASSISTANT_INTERNAL_TOKEN}" in scaled
    assert "ASSISTANT_INTERNAL_TOKEN" not in (ROOT / "endpoints.yml").read_text()


# --- routing by sender ---


def test_every_sender_has_one_server_the_same_in_every_process_and_senders_spread():
    first = [preference(f"patient-{n}", 2)[0] for n in range(1000)]
    again = subprocess.run(
        [sys.executable, "-c", "from assistant.routing import preference;print([preference(f'patient-{n}', 2)[0] for n in range(1000)])"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert str(first) == again  # not Python's salted hash()
    assert 400 < Counter(first)[0] < 600
    # A third server takes about a third of the conversations; the others stay where they were.
    moved = sum(preference(f"patient-{n}", 3)[0] != first[n] for n in range(1000))
    assert all(preference(f"patient-{n}", 3)[0] == 2 for n in range(1000) if preference(f"patient-{n}", 3)[0] != first[n])
    assert 250 < moved < 420


def test_each_conversation_goes_to_its_own_rasa_server_and_moves_only_when_its_server_refuses_connections():
    with FakeRasa() as one, FakeRasa() as two:
        one.reply = two.reply = [{"text": "ok"}]
        client = RasaClient(f"{one.url},{two.url}", timeout=2, headers={INTERNAL_TOKEN_HEADER: TOKEN})
        senders = [f"s{n}" for n in range(20)]
        for _ in range(3):
            for sender in senders:
                client.send(sender, "hello")
        by_server = {one.url: {m["sender"] for m in one.received}, two.url: {m["sender"] for m in two.received}}
        assert not by_server[one.url] & by_server[two.url]
        assert by_server[one.url] and by_server[two.url]
        assert all(len([m for m in one.received + two.received if m["sender"] == s]) == 3 for s in senders)
        assert {client.server_for(s) for s in by_server[one.url]} == {one.url}

        down = f"http://127.0.0.1:{free_port()}"
        failover = RasaClient(f"{down},{two.url}", timeout=2)
        moved = next(s for s in senders if failover.server_for(s) == down)
        assert failover.send(moved, "still answered") == [{"text": "ok"}]
        assert two.received[-1] == {"sender": moved, "message": "still answered", "metadata": {}}
        assert failover.healthy()
        with pytest.raises(RasaUnavailable):
            RasaClient(down, timeout=2).send("x", "nobody")
        assert not RasaClient(down, timeout=2).healthy()


def test_a_slow_rasa_server_is_not_asked_twice():
    with FakeRasa() as slow, FakeRasa() as other:
        slow.delay = 1.5
        client = RasaClient(f"{slow.url},{other.url}", timeout=0.5)
        sender = next(f"s{n}" for n in range(50) if client.server_for(f"s{n}") == slow.url)
        with pytest.raises(RasaUnavailable):
            client.send(sender, "one message")
        assert other.received == []


# --- the migration lock (PostgreSQL) ---


@pytest.fixture
def empty_postgres_database():
    yield from postgres_database(migrate=False)


def waits_for_the_migration_lock(connection) -> bool:
    """Whether another session of this database waits for the migration lock (an advisory lock on a 64-bit key
    shows its high and low halves as classid and objid)."""
    query = text(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND objsubid = 1"
        " AND classid::bigint = :high AND objid::bigint = :low"
        " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
    )
    return connection.execute(query, {"high": migrate.MIGRATION_LOCK >> 32, "low": migrate.MIGRATION_LOCK & 0xFFFFFFFF}).scalar() > 0


def test_an_upgrade_waits_for_the_migration_lock_held_by_another(empty_postgres_database):
    url = empty_postgres_database.replace("postgresql://", "postgresql+psycopg://")
    holder = create_engine(url)
    done = threading.Event()
    with holder.connect() as connection:
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": migrate.MIGRATION_LOCK})
        connection.commit()
        thread = threading.Thread(target=lambda: (migrate.upgrade(empty_postgres_database), done.set()))
        thread.start()
        deadline = time.monotonic() + 30
        while not done.is_set() and not waits_for_the_migration_lock(connection) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert waits_for_the_migration_lock(connection) and not done.is_set()
        assert "alembic_version" not in inspect(holder).get_table_names()
        connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": migrate.MIGRATION_LOCK})
        connection.commit()
        thread.join(60)
    assert done.is_set()
    assert "tickets" in inspect(holder).get_table_names()
    holder.dispose()


def test_gateways_migrating_an_empty_database_at_once_all_succeed(empty_postgres_database):
    command = [sys.executable, "-m", "core.storage.migrate"]
    env = {"ASSISTANT_DATABASE_URL": empty_postgres_database, "PATH": "/usr/bin:/bin"}
    processes = [
        subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for _ in range(4)
    ]
    outputs = [(process.wait(120), process.stdout.read()) for process in processes]
    assert [code for code, _ in outputs] == [0, 0, 0, 0], "\n".join(out[-1500:] for _, out in outputs)
    engine = create_engine(empty_postgres_database.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as connection:
        assert len(connection.execute(text("SELECT version_num FROM alembic_version")).all()) == 1
    engine.dispose()


def test_postgresql_as_the_assistants_database_on_one_machine_is_not_scaled(monkeypatch):
    settings = settings_with(monkeypatch, ASSISTANT_DATABASE_URL="postgresql://postgres@127.0.0.1/test")
    assert not settings.scaled
    settings.check_internal_token()

"""`make run-scaled` end to end: two gateways, two Rasa servers and two action servers behind HAProxy, on the
local PostgreSQL and Redis; conversations through HAProxy (`make test-scaled`)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import pytest
import requests
from sqlalchemy import text

from core.config import ROOT
from core.storage.conversations import history
from core.storage.database import Database
from tests.support import system as system_support
from tests.support.inbox import postgres_database
from tests.support.ports import free_run
from tests.support.system import prepare_index
from tests.support.web import API_KEYS_SETTING, integration_headers
from tooling.training import ensure_model

pytestmark = [pytest.mark.system, pytest.mark.scaled]
HAPROXY = "/usr/sbin/haproxy"
READY_TIMEOUT = 240
TOKEN = "scaled-test-token-" + "y" * 40


def _every_server(public: str, ports: dict[str, int]) -> list[str]:
    """HAProxy's readiness and each Rasa server's and action server's probe (readiness needs only one of each)."""
    rasa, actions = ports["RASA_PORT"], ports["ACTION_PORT"]
    return [
        f"{public}/readyz",
        *(f"http://127.0.0.1:{port}/" for port in (rasa, rasa + 1)),
        *(f"http://127.0.0.1:{port}/health" for port in (actions, actions + 1)),
    ]


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False


@pytest.fixture(scope="module")
def scaled(tmp_path_factory):
    if not os.path.exists(HAPROXY):
        pytest.fail("HAProxy is not installed: run `make test-scaled`, which installs it")
    if not system_support.STARTING_ALLOWED:
        raise RuntimeError("this test starts the assistant's processes: mark it `system`")
    workdir = tmp_path_factory.mktemp("scaled")
    database = postgres_database()
    database_url = next(database)
    ports = {"GATEWAY_PORT": free_run(3), "RASA_PORT": free_run(2), "ACTION_PORT": free_run(2)}
    env = dict(
        os.environ,
        **{k: str(v) for k, v in ports.items()},
        GATEWAY_HOST="127.0.0.1",
        ASSISTANT_VAR_DIR=str(workdir),
        ASSISTANT_INDEX_DIR=str(prepare_index()),
        ASSISTANT_DATABASE_URL=database_url,
        ASSISTANT_RATELIMIT_STORAGE="redis://127.0.0.1:6379/2",
        ASSISTANT_INTERNAL_TOKEN=TOKEN,
        ASSISTANT_API_KEYS=API_KEYS_SETTING,  # the test talks as an integration that names its senders
    )
    log = workdir / "scaled.log"
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "tooling.scaled", str(ensure_model(ROOT / "var" / "models")), "--ready-timeout", "0"],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    public = f"http://127.0.0.1:{ports['GATEWAY_PORT']}"
    try:
        deadline = time.monotonic() + READY_TIMEOUT
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"run-scaled not ready:\n{log.read_text()[-5000:]}")
            if all(_answers(url) for url in _every_server(public, ports)):
                break
            time.sleep(1)
        yield {"public": public, "ports": ports, "database_url": database_url, "log": log, "ready_s": time.monotonic() - started}
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGINT)
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        next(database, None)


def test_a_conversation_of_three_turns_through_haproxy_keeps_its_procedure_on_one_gateway_and_one_rasa(scaled):
    public = scaled["public"]
    asked = ["what is embolization?", "how do I prepare?", "when can I drive?"]
    replies = []
    for question in asked:
        response = requests.post(
            f"{public}/api/chat", json={"sender": "scaled-1", "message": question}, headers=integration_headers(), timeout=60
        )
        assert response.status_code == 200, response.text
        replies.append(response.json()["messages"][-1])
    assert [(r["route"], r["procedure"], r["topic"]) for r in replies] == [
        ("answer", "embolization", "definition"),
        ("answer", "embolization", "preparation"),
        ("answer", "embolization", "driving"),
    ]

    # Every turn reached the same gateway (HAProxy's log names the server of each request).
    # HAProxy writes a request's log line when the response is done: the last one may come a moment later.
    deadline = time.monotonic() + 5
    while True:
        served = [line for line in scaled["log"].read_text().splitlines() if "POST /api/chat" in line]
        if len(served) >= 3 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert len(served) == 3
    assert len({line.split("gateways/")[1].split()[0] for line in served}) == 1
    database = Database(scaled["database_url"])
    stored = history(database, "web", "scaled-1")
    with database.engine.connect() as connection:
        rasa_events = connection.execute(
            text("SELECT count(*) FROM events WHERE sender_id = :s AND type_name = 'user'"), {"s": "web:scaled-1"}
        ).scalar()
        # Each turn held the fenced Redis lock (rasa_addons/lock_store.py): the last one's token is recorded.
        fence = connection.execute(text("SELECT token FROM turn_fences WHERE sender_id = :s"), {"s": "web:scaled-1"}).scalar()
    database.engine.dispose()
    assert re.fullmatch(r"\d+-[0-9a-f]{8}", fence or ""), fence
    assert "REFUSED to save" not in scaled["log"].read_text() and "LOCK LOST" not in scaled["log"].read_text()
    # Three messages and three answers, each once, in order.
    assert [m["role"] for m in stored] == ["patient", "assistant"] * 3, stored
    assert [m["text"] for m in stored[::2]] == asked
    assert rasa_events == 3  # Rasa's tracker in PostgreSQL, each user turn once


def test_rasa_and_the_action_servers_refuse_a_caller_without_the_token(scaled):
    rasa, actions = scaled["ports"]["RASA_PORT"], scaled["ports"]["ACTION_PORT"]
    for port in (rasa, rasa + 1):
        refused = requests.post(f"http://127.0.0.1:{port}/webhooks/rest/webhook", json={"sender": "x", "message": "hi"}, timeout=10)
        assert refused.status_code == 401
        assert requests.get(f"http://127.0.0.1:{port}/", timeout=5).status_code == 200  # the probe
    for port in (actions, actions + 1):
        assert requests.post(f"http://127.0.0.1:{port}/webhook", json={}, timeout=10).status_code == 401
        assert requests.get(f"http://127.0.0.1:{port}/health", timeout=5).status_code == 200
    live = requests.get(f"{scaled['public']}/livez", timeout=5)
    assert (live.status_code, live.json()) == (200, {"status": "ok"})

"""`make run-scaled` end to end: two gateways, two Rasa servers and two action servers behind HAProxy, on the
local PostgreSQL and Redis; conversations through HAProxy (`make test-scaled`)."""

from __future__ import annotations

import re
import time

import pytest
import requests
from sqlalchemy import text

from core.config import INTERNAL_TOKEN_HEADER
from core.storage.conversations import history
from core.storage.database import Database
from tests.support.inbox import postgres_database
from tests.support.scaled import running_scaled
from tests.support.web import integration_headers

pytestmark = [pytest.mark.system, pytest.mark.scaled]
TOKEN = "scaled-test-token-" + "y" * 40


@pytest.fixture(scope="module")
def scaled(tmp_path_factory):
    database = postgres_database()
    try:
        with running_scaled(tmp_path_factory.mktemp("scaled"), next(database), {"ASSISTANT_INTERNAL_TOKEN": TOKEN}) as system:
            yield system
    finally:
        next(database, None)


def test_a_conversation_of_three_turns_through_haproxy_keeps_its_procedure_on_one_gateway_and_one_rasa(scaled):
    public = scaled.public
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
        served = [line for line in scaled.log.read_text().splitlines() if "POST /api/chat" in line]
        if len(served) >= 3 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert len(served) == 3
    assert len({line.split("gateways/")[1].split()[0] for line in served}) == 1
    database = Database(scaled.database_url)
    stored = history(database, "web", "scaled-1")
    with database.engine.connect() as connection:
        rasa_events = connection.execute(
            text("SELECT count(*) FROM events WHERE sender_id = :s AND type_name = 'user'"), {"s": "web:scaled-1"}
        ).scalar()
        # Each turn held the fenced Redis lock (rasa_addons/lock_store.py): the last one's token is recorded.
        fence = connection.execute(text("SELECT token FROM turn_fences WHERE sender_id = :s"), {"s": "web:scaled-1"}).scalar()
    database.engine.dispose()
    assert re.fullmatch(r"\d+-[0-9a-f]{8}", fence or ""), fence
    assert "REFUSED to save" not in scaled.log.read_text() and "LOCK LOST" not in scaled.log.read_text()
    # Three messages and three answers, each once, in order.
    assert [m["role"] for m in stored] == ["patient", "assistant"] * 3, stored
    assert [m["text"] for m in stored[::2]] == asked
    assert rasa_events == 3  # Rasa's tracker in PostgreSQL, each user turn once


def test_rasa_and_the_action_servers_refuse_a_caller_without_the_token(scaled):
    rasa, actions = scaled.ports["RASA_PORT"], scaled.ports["ACTION_PORT"]
    models = set()
    for port in (rasa, rasa + 1):
        refused = requests.post(f"http://127.0.0.1:{port}/webhooks/rest/webhook", json={"sender": "x", "message": "hi"}, timeout=10)
        assert refused.status_code == 401
        assert requests.get(f"http://127.0.0.1:{port}/", timeout=5).status_code == 200  # the probe
        assert requests.get(f"http://127.0.0.1:{port}/assistant/model", timeout=5).status_code == 401
        loaded = requests.get(f"http://127.0.0.1:{port}/assistant/model", headers={INTERNAL_TOKEN_HEADER: TOKEN}, timeout=5)
        models.add(loaded.json()["model_file"])
    assert len(models) == 1 and next(iter(models)).endswith(".tar.gz")  # one model on every Rasa server
    ready = requests.get(f"{scaled.public}/readyz", timeout=10).json()
    assert ready["checks"]["same_model"] == ready["checks"]["same_index"] == "ok"
    for port in (actions, actions + 1):
        assert requests.post(f"http://127.0.0.1:{port}/webhook", json={}, timeout=10).status_code == 401
        assert requests.get(f"http://127.0.0.1:{port}/health", timeout=5).status_code == 200
    live = requests.get(f"{scaled.public}/livez", timeout=5)
    assert (live.status_code, live.json()) == (200, {"status": "ok"})

"""Faults with the real processes: the action server killed, Rasa down, everything restarted."""

from __future__ import annotations

import os
import signal
import time

import pytest
import requests
from sqlalchemy import select

from assistant.channels import optout
from core.storage.conversations import history
from core.storage.database import Database
from core.storage.models import Ticket
from tests.support.system import start_system, stop_system

pytestmark = pytest.mark.system


@pytest.fixture(scope="module")
def own_system(tmp_path_factory, knowledge_index):
    """A system of its own: these tests stop and kill its processes."""
    running = start_system(tmp_path_factory.mktemp("faults"), index=knowledge_index)
    yield running
    stop_system(running)


def safe_reply(reply: dict, system) -> bool:
    site_phone = "+44 20 7946 0000"
    [message] = reply["messages"]
    return message["route"] == "fallback" and site_phone in message["text"] and "112" in message["text"]


def wait_for(url: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise AssertionError(f"{url} did not come back within {timeout} s")


def test_a_killed_action_server_gives_a_useful_reply_and_the_conversation_goes_on_when_it_is_back(own_system):
    sender = "action-server-killed"
    first = own_system.chat(sender, "what is embolization?")["messages"][-1]
    assert (first["route"], first["procedure"]) == ("answer", "embolization")
    rasa_pid, gateway_pid = own_system.pid("rasa"), own_system.pid("gateway")

    os.kill(own_system.pid("actions"), signal.SIGKILL)
    during = own_system.chat(sender, "how do I prepare?")
    assert safe_reply(during, own_system), during
    assert "how do I prepare?" in [m["text"] for m in history(Database(own_system.database_url), "web", sender)]

    wait_for(f"{own_system.actions}/health")
    after = own_system.chat(sender, "when can I drive?")["messages"][-1]
    assert (after["route"], after["procedure"], after["topic"]) == ("answer", "embolization", "driving")
    assert (own_system.pid("rasa"), own_system.pid("gateway")) == (rasa_pid, gateway_pid)


def test_with_rasa_down_the_gateway_answers_in_bounded_time_and_still_catches_emergencies(own_system):
    sender = "rasa-down"
    own_system.ctl("stop", "rasa")
    try:
        started = time.monotonic()
        reply = own_system.chat(sender, "how long does an angiogram take?")
        assert time.monotonic() - started < 12  # the gateway waits at most ASSISTANT_RASA_TIMEOUT (10 s)
        assert safe_reply(reply, own_system)

        emergency = own_system.chat(sender, "I'm bleeding heavily from my groin and it won't stop")["messages"]
        assert emergency[0]["route"] == "urgent"
        with Database(own_system.database_url).session() as session:
            urgent = [t for t in session.scalars(select(Ticket)) if t.conversation.sender_key == sender]
            assert [t.kind for t in urgent] == ["urgent"]
        patient = [m["text"] for m in history(Database(own_system.database_url), "web", sender) if m["role"] == "patient"]
        assert patient == ["how long does an angiogram take?", "I'm bleeding heavily from my groin and it won't stop"]
    finally:
        own_system.ctl("start", "rasa")
    own_system.wait_healthy()
    assert own_system.chat(sender, "what is an angiogram?")["messages"][-1]["route"] == "answer"


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_a_restart_of_everything_loses_no_ticket_transcript_opt_out_or_context(database, tmp_path, request, knowledge_index):
    url = request.getfixturevalue("postgres_url") if database == "postgresql" else None
    workdir = tmp_path / "restart"
    workdir.mkdir()
    system = start_system(workdir, url, index=knowledge_index)
    try:
        system.chat("restart", "what is embolization?")
        system.chat("restart", "my leg is cold and numb and blue")
        optout.set_opted_out(Database(system.database_url), "sms", "+447700900123", True)
    finally:
        stop_system(system)

    system = start_system(workdir, url, index=knowledge_index)
    try:
        db = Database(system.database_url)
        texts = [m["text"] for m in history(db, "web", "restart") if m["role"] == "patient"]
        assert texts[:2] == ["what is embolization?", "my leg is cold and numb and blue"]
        with db.session() as session:
            assert [t.kind for t in session.scalars(select(Ticket)) if t.conversation.sender_key == "restart"] == ["urgent"]
        assert optout.is_opted_out(db, "sms", "+447700900123")
        after = system.chat("restart", "when can I drive?")["messages"][-1]
        assert (after["procedure"], after["topic"]) == ("embolization", "driving")  # Rasa kept the context
    finally:
        stop_system(system)

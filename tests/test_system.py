"""The real assistant end to end: Rasa server, action server and gateway, started as `make run` starts them."""

from __future__ import annotations

import sqlite3
import time
from http.client import HTTPConnection
from urllib.parse import urlsplit

import requests

from core.config import ROOT
from core.site import load_site
from core.storage.conversations import history
from core.storage.database import Database


def test_three_questions_in_one_conversation_get_three_answers_with_sources(system):
    asked = ["what is embolization?", "how do I prepare?", "when can I drive?"]
    replies = [system.chat("three-questions", question)["messages"] for question in asked]

    for messages, topic in zip(replies, ["definition", "preparation", "driving"], strict=True):
        [answer] = messages
        assert answer["route"] == "answer"
        assert (answer["procedure"], answer["topic"]) == ("embolization", topic)
        assert answer["sources"][0]["doc"] == "embolization"
        assert answer["sources"][0]["section"] == topic
        # Every shipped text is a draft until a clinician signs it off: never shown as reviewed.
        assert (answer["sources"][0]["status"], answer["sources"][0]["reviewed"]) == ("draft", None)
        assert isinstance(answer["score"], float)
        assert "{" not in answer["text"]


def test_a_greeting_gets_the_department_facts_and_working_buttons(system):
    [greeting] = system.chat("greeting", "hello")["messages"]

    assert "{" not in greeting["text"]
    assert load_site(ROOT / "site.yml").emergency_number in greeting["text"]
    payloads = [button["payload"] for button in greeting["buttons"]]
    assert '/ask_definition{"procedure": "interventional radiology"}' in payloads
    # Rasa reads {name} in a response as a slot and logs an error when there is none.
    assert "interpolator" not in system.log_path.read_text()


def test_rasa_keeps_conversations_in_its_tuned_tracker_store(system):
    system.chat("tracker-store", "what is an angiogram?")
    # Rasa falls back to an in-memory store (a warning only) when it cannot import the one endpoints.yml names.
    with sqlite3.connect(system.env["TRACKER_DB"]) as tracker_db:
        assert tracker_db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert tracker_db.execute("SELECT count(*) FROM events WHERE sender_id = 'web:tracker-store'").fetchone()[0] > 0


def test_the_conversation_is_stored_for_the_secretariat(system):
    system.chat("stored-conversation", "what is an angiogram?")
    stored = history(Database(system.database_url), "web", "stored-conversation")
    assert [m["role"] for m in stored] == ["patient", "assistant"]
    assert stored[1]["data"]["procedure"] == "angiography"


def test_a_hostile_request_is_refused_before_the_dialogue(system):
    response = requests.post(
        f"{system.gateway}/api/chat", data=b"\xff\xfe not json", headers={"Content-Type": "application/json"}, timeout=10
    )
    assert response.status_code == 400
    assert "UTF-8" in response.json()["error"]


def test_health_reports_every_dependency(system):
    body = requests.get(f"{system.gateway}/healthz", timeout=10).json()
    assert (body["status"], body["checks"]) == ("ok", {"database": "ok", "rasa": "ok", "action_server": "ok", "knowledge_index": "ok"})
    assert body["artifacts"]["knowledge_index"]["hash"]


def test_a_connection_left_idle_between_two_messages_is_still_open_for_the_next(system):
    # A patient's next message, or a proxy's pooled connection, comes seconds later on the same connection: the
    # gateway must not close it first (a close racing the next request reaches the patient as a connection error).
    address = urlsplit(system.gateway)
    connection = HTTPConnection(address.hostname, address.port, timeout=10)
    try:
        for pause in (0, 3):
            time.sleep(pause)
            connection.request("GET", "/")
            response = connection.getresponse()
            response.read()
            assert response.status == 200
            assert response.getheader("Connection", "").lower() != "close"
    finally:
        connection.close()


def routes(reply: dict) -> list[str]:
    return [m["route"] for m in reply["messages"]]


def test_naming_another_procedure_switches_the_context(system):
    first = system.chat("switching", "how long does an angiogram take?")["messages"][-1]
    assert (first["procedure"], first["topic"]) == ("angiography", "duration")
    second = system.chat("switching", "and what about a biopsy?")["messages"][-1]
    assert (second["procedure"], second["topic"]) == ("image_guided_biopsy", "duration")


def test_a_booking_request_becomes_a_ticket_with_a_reference(system):
    from sqlalchemy import select

    from core.storage.models import Ticket

    sender = "booking-flow"
    steps = [
        "I need to book an appointment for my angiogram",
        "Sam Jones",
        "07700 900123",
        "the angiogram my doctor asked for",
        "weekday mornings",
        "yes",
    ]
    replies = [system.chat(sender, text) for text in steps]
    assert all(set(routes(r)) == {"escalate_booking"} for r in replies), [routes(r) for r in replies]
    final = replies[-1]["messages"][-1]["text"]
    with Database(system.database_url).session() as session:
        [ticket] = [t for t in session.scalars(select(Ticket)) if t.conversation.sender_key == sender]
        assert ticket.kind == "booking"
        assert ticket.contact["name"] == "Sam Jones" and ticket.contact["method"] == "07700900123"
        assert ticket.reference in final


def test_stop_leaves_the_form_and_an_emergency_inside_it_is_answered_first(system):
    sender = "form-interrupted"
    system.chat(sender, "can I change my appointment please")
    emergency = system.chat(sender, "I'm bleeding heavily from my groin and it won't stop")["messages"]
    assert emergency[0]["route"] == "urgent"
    left = system.chat(sender, "stop")["messages"][-1]
    assert "nothing has been sent" in left["text"]
    after = system.chat(sender, "what is an angiogram?")["messages"][-1]
    assert (after["route"], after["procedure"]) == ("answer", "angiography")


def test_own_symptoms_are_never_answered_but_referred(system):
    reply = system.chat("symptom", "my groin is a bit bruised since my angiogram yesterday, is that normal for me?")
    assert routes(reply)[0] == "escalate_symptom"
    assert "can't give advice" in reply["messages"][0]["text"]


def test_two_misses_in_a_row_offer_the_secretariat(system):
    # "/nlu_fallback" is what Rasa makes of a message it understood with too little confidence.
    first = system.chat("misses", "/nlu_fallback")["messages"][-1]
    second = system.chat("misses", "/nlu_fallback")["messages"][-1]
    assert (first["route"], second["route"]) == ("fallback", "fallback")
    assert [b["payload"] for b in second["buttons"]] == ["/request_human"]

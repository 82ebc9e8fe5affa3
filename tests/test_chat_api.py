"""The chat API: what it accepts, what it refuses, and what the patient gets when Rasa fails."""

from __future__ import annotations

import pytest

from core.storage.conversations import history
from tests.support.web import RASA_ANSWER, WebPatients, web_headers
from tests.support.web import post_chat as post


def test_a_question_is_forwarded_and_the_reply_carries_its_structured_fields(client, fake_rasa, app):
    fake_rasa.reply = RASA_ANSWER
    response = post(client, {"sender": "p1", "message": "what is embolization?"})
    assert response.status_code == 200
    body = response.json
    assert body["sender"] == "p1"
    metadata = {"channel": "web", "language": "en"}
    assert fake_rasa.received == [{"sender": "web:p1", "message": "what is embolization?", "metadata": metadata}]
    [reply] = body["messages"]
    assert reply["route"] == "answer"
    assert reply["procedure"] == "embolization" and reply["topic"] == "definition"
    assert reply["sources"][0]["title"] == "Embolization"
    assert reply["buttons"] == [{"title": "How do I prepare?", "payload": "/ask_preparation"}]
    assert app.config["SETTINGS"].site.department_phone in reply["text"]


def test_the_patient_message_and_the_reply_are_stored(client, fake_rasa, database):
    fake_rasa.reply = RASA_ANSWER
    post(client, {"sender": "p1", "message": "what is embolization?"})
    stored = history(database, "web", "p1")
    assert [m["role"] for m in stored] == ["patient", "assistant"]
    assert stored[0]["text"] == "what is embolization?"
    assert stored[1]["data"]["route"] == "answer"


@pytest.mark.parametrize("failure", ["empty_reply", "server_error", "timeout", "down"])
def test_when_rasa_fails_the_patient_gets_the_secretariat_and_emergency_number(client, fake_rasa, app, failure, database):
    site = app.config["SETTINGS"].site
    if failure == "empty_reply":
        fake_rasa.reply = []
    elif failure == "server_error":
        fake_rasa.status = 500
    elif failure == "timeout":
        app.extensions["rasa"].timeout = 0.2  # the gateway gives up on Rasa after 0.2 s, Rasa answers after 0.6 s
        fake_rasa.delay = 0.6
        fake_rasa.reply = RASA_ANSWER
    else:
        app.extensions["rasa"].base_url = "http://127.0.0.1:9"
    response = post(client, {"sender": "p2", "message": "how long does a biopsy take"})
    assert response.status_code == 200
    [reply] = response.json["messages"]
    assert reply["route"] == "fallback"
    assert site.department_phone in reply["text"] and site.emergency_number in reply["text"]
    assert [m["role"] for m in history(database, "web", "p2")] == ["patient", "assistant"]


@pytest.mark.parametrize(
    ("kwargs", "status", "says"),
    [
        ({"data": "not json", "content_type": "application/json"}, 400, "not valid JSON"),
        ({"data": b'{"sender": "a", "message": "\xff\xfe"}', "content_type": "application/json"}, 400, "UTF-8"),
        ({"data": "sender=a&message=hi", "content_type": "application/x-www-form-urlencoded"}, 415, "JSON"),
        ({"data": "[1, 2]", "content_type": "application/json"}, 400, "JSON object"),
        ({"body": {"sender": "a"}}, 400, "'message'"),
        ({"body": {"sender": "a", "message": 42}}, 400, "'message'"),
        ({"body": {"sender": "a", "message": {"text": "hi"}}}, 400, "'message'"),
        ({"body": {"sender": "a", "message": "   \n\t "}}, 400, "empty"),
        ({"body": {"sender": "a", "message": "\u200b\u202e\u0000"}}, 400, "empty"),
        ({"body": {"sender": "a", "message": "x" * 2001}}, 400, "too long"),
        ({"data": '{"sender": "a", "message": "' + "x" * 20000 + '"}', "content_type": "application/json"}, 413, "too large"),
        ({"data": '{"sender": "a", "message": "hi", "x": ' + "[" * 50 + "]" * 50 + "}", "content_type": "application/json"}, 400, "nested"),
    ],
)
def test_bad_requests_get_a_clear_error_and_never_reach_rasa(client, fake_rasa, database, kwargs, status, says):
    response = post(client, kwargs.get("body"), data=kwargs.get("data"), content_type=kwargs.get("content_type", "application/json"))
    assert response.status_code == status
    assert says in response.json["error"]
    assert fake_rasa.received == []
    assert history(database, "web", "a") == []


def test_invisible_characters_are_removed_before_the_message_is_used(client, fake_rasa):
    fake_rasa.reply = RASA_ANSWER
    response = post(client, {"sender": "p3", "message": "what is\u200b embolization\u202e?"})
    assert response.status_code == 200
    assert fake_rasa.received[0]["message"] == "what is embolization?"


def test_an_emergency_is_answered_at_once_without_asking_the_dialogue(client, fake_rasa, app):
    fake_rasa.reply = RASA_ANSWER
    response = post(client, {"sender": "p4", "message": "I'm bleeding heavily from my groin and it won't stop"})
    [reply] = response.json["messages"]
    assert reply["route"] == "urgent"
    assert app.config["SETTINGS"].site.emergency_number in reply["text"]
    assert fake_rasa.received == []


def test_unknown_paths_and_methods_answer_json(client):
    assert client.get("/api/chat").status_code == 405
    missing = client.get("/nope")
    assert missing.status_code == 404 and "error" in missing.json


ACTION_ANSWER = [
    {
        "recipient_id": "web:p5",
        "custom": {
            "text": "First paragraph.\n\nSecond paragraph.",
            "buttons": [],
            "route": "answer",
            "procedure": "angiography",
            "topic": "duration",
            "sources": [{"doc": "angiography", "section": "duration", "title": "Angiography", "reviewed": "2026-11-23"}],
            "score": 0.7,
        },
    }
]


def test_an_action_answer_arrives_as_one_message_with_its_paragraphs(client, fake_rasa):
    fake_rasa.reply = ACTION_ANSWER
    [reply] = post(client, {"sender": "p5", "message": "how long does an angiogram take"}).json["messages"]
    assert reply["text"] == "First paragraph.\n\nSecond paragraph."
    assert (reply["route"], reply["topic"]) == ("answer", "duration")


def test_an_emergency_raises_an_urgent_ticket_with_the_message(client, fake_rasa, database):
    from sqlalchemy import select

    from core.storage.models import Ticket

    post(client, {"sender": "p6", "message": "my husband collapsed and is not breathing"})
    with database.session() as session:
        [ticket] = session.scalars(select(Ticket)).all()
        assert (ticket.kind, ticket.status, ticket.route) == ("urgent", "open", "urgent")
        assert "collapsed" in ticket.summary
        assert ticket.reference.startswith("IR-")


def test_history_returns_the_conversation_and_only_newer_messages_after_an_id(client, fake_rasa):
    fake_rasa.reply = RASA_ANSWER
    post(client, {"sender": "p7", "message": "what is embolization?"})
    messages = client.get("/api/chat/history", headers=web_headers(client.application, "p7")).json["messages"]
    assert [m["role"] for m in messages] == ["patient", "assistant"]
    assert messages[1]["sources"][0]["doc"] == "embolization"
    newer = client.get(f"/api/chat/history?after={messages[0]['id']}", headers=web_headers(client.application, "p7")).json["messages"]
    assert [m["id"] for m in newer] == [messages[1]["id"]]


def test_a_patient_can_delete_their_conversation(client, web, fake_rasa, database):
    fake_rasa.reply = RASA_ANSWER
    post(client, {"sender": "p8", "message": "what is embolization?"})
    assert web.delete("p8").json == {"sender": "p8", "deleted": True}
    assert history(database, "web", "p8") == []


def test_feedback_is_stored_only_for_an_answer_of_the_same_conversation(client, web, fake_rasa):
    fake_rasa.reply = RASA_ANSWER
    post(client, {"sender": "p9", "message": "what is embolization?"})
    patient_id, answer_id = [m["id"] for m in web.history("p9").json["messages"]]
    assert web.feedback("p9", answer_id, "up").status_code == 200
    assert web.feedback("p9", patient_id, "up").status_code == 404
    assert web.feedback("other", answer_id, "up").status_code == 404
    assert web.feedback("p9", answer_id, "meh").status_code == 400


def test_while_staff_have_the_conversation_the_patient_is_told_a_person_will_reply_and_emergencies_still_answer(
    client, fake_rasa, database, app
):
    from core.storage.conversations import find_conversation
    from core.storage.models import StaffUser

    site, messages = app.config["SETTINGS"].site, app.config["SETTINGS"].messages
    fake_rasa.reply = RASA_ANSWER
    post(client, {"sender": "p10", "message": "hello"})
    with database.session() as session:
        staff = StaffUser(username="sam", password_hash="x", role="secretariat")
        session.add(staff)
        session.flush()
        find_conversation(session, "web", "p10").taken_over_by_id = staff.id
    fake_rasa.received.clear()

    [told] = post(client, {"sender": "p10", "message": "how long does it take?"}).json["messages"]
    assert told["text"].startswith(messages.text("staff_will_reply", "en", site)) and site.emergency_number in told["text"]
    [receipt] = post(client, {"sender": "p10", "message": "and can I drive home?"}).json["messages"]
    assert receipt["text"] == messages.text("staff_will_read", "en", site)
    assert fake_rasa.received == []  # the assistant answers no question while staff have the conversation
    urgent = post(client, {"sender": "p10", "message": "I can't breathe"}).json["messages"]
    assert [m["route"] for m in urgent] == ["urgent"]
    stored = history(database, "web", "p10")[2:]
    assert [(m["role"], m["data"].get("held_note")) for m in stored] == [
        ("patient", None),
        ("assistant", "full"),
        ("patient", None),
        ("assistant", "receipt"),
        ("patient", None),
        ("assistant", None),
    ]


def test_a_flood_from_one_sender_is_refused_with_the_emergency_number(client, fake_rasa, app):
    fake_rasa.reply = RASA_ANSWER
    limit = int(app.config["RATE_LIMIT_PER_SENDER"].split()[0])
    statuses = [post(client, {"sender": "flooder", "message": f"hello {i}"}).status_code for i in range(limit + 3)]
    assert statuses[:limit] == [200] * limit and statuses[limit:] == [429] * 3
    refused = post(client, {"sender": "flooder", "message": "hello again"})
    assert app.config["SETTINGS"].site.emergency_number in refused.json["error"]
    assert len(fake_rasa.received) == limit
    assert post(client, {"sender": "someone-else", "message": "hello"}).status_code == 200


def test_security_headers_are_on_every_response(client):
    for response in (client.get("/healthz"), client.post("/api/chat", data="x", content_type="text/plain"), client.get("/nope")):
        assert "default-src 'self'" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"


def test_what_only_the_classifier_takes_for_an_emergency_gets_the_number_and_a_nurse_not_an_alarm(client, fake_rasa, app, database):
    from sqlalchemy import select

    from core.storage.models import Ticket

    site = app.config["SETTINGS"].site
    fake_rasa.reply = [
        {
            "text": "This may be an emergency. Call {{emergency_number}} now.",
            "custom": {"route": "urgent"},
        }
    ]
    [reply] = post(client, {"sender": "p11", "message": "I only have pain in my leg, why a shot in the back?"}).json["messages"]
    assert reply["route"] == "escalate_symptom"
    assert not reply["text"].startswith("This may be an emergency")
    assert site.emergency_number in reply["text"] and site.department_phone in reply["text"]
    assert reply["buttons"] == [{"title": "Leave my details", "payload": "/report_symptom"}]
    with database.session() as session:  # staff still look at it first
        assert session.scalars(select(Ticket.kind)).all() == ["urgent"]


def test_a_patients_delete_removes_every_copy_but_keeps_an_open_urgent_ticket_anonymised(client, web, fake_rasa, database, database_url):
    from pathlib import Path

    from sqlalchemy import func, select

    from core.storage.curation import log_unanswered
    from core.storage.models import AuditEntry, Conversation, Feedback, Message, Ticket, UnansweredQuestion

    fake_rasa.reply = RASA_ANSWER
    post(client, {"sender": "p-del", "message": "what is embolization?"})
    post(client, {"sender": "p-del", "message": "I can't breathe"})
    answer = [m for m in web.history("p-del").json["messages"] if m["role"] == "assistant"][0]
    assert web.feedback("p-del", answer["id"], "up").status_code == 200
    log_unanswered(database, "web:p-del", "my name is Sam, what is a TIPS?", "low_confidence")

    assert web.delete("p-del").json == {"sender": "p-del", "deleted": True}

    assert history(database, "web", "p-del") == []
    with database.session() as session:
        assert session.scalar(select(func.count(Message.id))) == 0
        assert session.scalar(select(func.count(Feedback.id))) == 0
        assert session.scalar(select(func.count(UnansweredQuestion.id))) == 0
        [ticket] = session.scalars(select(Ticket))
        assert ticket.kind == "urgent" and ticket.status == "open" and ticket.contact == {}
        assert session.get(Conversation, ticket.conversation_id).sender_key.startswith("anonymised-")
        assert "patient_deleted" in [e.action for e in ticket.events]
        [audit] = session.scalars(select(AuditEntry).where(AuditEntry.action == "retention_forget"))
        assert "p-del" not in audit.detail and "kept" in audit.detail
    wal = Path(database_url.removeprefix("sqlite:///") + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0  # checkpointed: no deleted text left in the log

    statuses = [web.delete(f"other{n}").status_code for n in range(11)]
    assert 429 in statuses and 500 not in statuses


# --- who may use a conversation (issue #23, item 2) ---


def test_the_widget_gets_its_conversation_token_from_the_gateway_and_only_that_token_opens_it(client, web, fake_rasa, database):
    fake_rasa.reply = RASA_ANSWER
    token, conversation = web.new()
    assert len(conversation) >= 32  # 24 random bytes: nothing a client picks or guesses
    assert web.new()[1] != conversation
    headers = {"X-Conversation-Token": token}
    assert client.post("/api/chat", json={"message": "what is embolization?"}, headers=headers).status_code == 200
    assert [m["role"] for m in history(database, "web", conversation)] == ["patient", "assistant"]
    assert len(client.get("/api/chat/history", headers=headers).json["messages"]) == 2

    # The id alone, a forged signature, another conversation's token, or no token: nothing of this conversation.
    forged = {"X-Conversation-Token": conversation + "." + "A" * 43}
    for refused in (client.get(f"/api/chat/history?sender={conversation}"), client.get("/api/chat/history", headers=forged)):
        assert refused.status_code == 401 and "error" in refused.json
    assert client.delete(f"/api/chat/history?sender={conversation}").status_code == 401
    assert client.post("/api/chat", json={"sender": conversation, "message": "hi"}).status_code == 401
    assert web.history("someone-else").json["messages"] == []
    assert len(history(database, "web", conversation)) == 2


def test_a_web_client_cannot_name_a_sender_even_with_a_valid_token(client, web, fake_rasa, database):
    token, _ = web.new()
    response = client.post("/api/chat", json={"sender": "demo", "message": "hi"}, headers={"X-Conversation-Token": token})
    assert response.status_code == 400 and "'sender'" in response.json["error"]
    assert client.get("/api/chat/history?sender=demo", headers={"X-Conversation-Token": token}).status_code == 400
    assert fake_rasa.received == [] and history(database, "web", "demo") == []


def test_an_integration_with_an_api_key_names_its_own_senders(client, fake_rasa, database):
    from tests.support.web import integration_headers

    fake_rasa.reply = RASA_ANSWER
    response = client.post("/api/chat", json={"sender": "portal-42", "message": "what is embolization?"}, headers=integration_headers())
    assert response.status_code == 200 and response.json["sender"] == "portal-42"
    assert fake_rasa.received[0]["sender"] == "web:portal-42"
    listed = client.get("/api/chat/history?sender=portal-42", headers=integration_headers())
    assert [m["role"] for m in listed.json["messages"]] == ["patient", "assistant"]

    wrong = integration_headers("tests-integration-key-0123456789abcdefghiX")
    assert client.post("/api/chat", json={"sender": "portal-42", "message": "hi"}, headers=wrong).status_code == 401
    assert client.get("/api/chat/history?sender=portal-42", headers=wrong).status_code == 401
    missing = client.post("/api/chat", json={"message": "hi"}, headers=integration_headers())
    assert missing.status_code == 400 and "'sender'" in missing.json["error"]
    assert len(history(database, "web", "portal-42")) == 2


def test_api_keys_are_configured_as_digests_only(monkeypatch):
    import pytest as _pytest

    from assistant.gateway.api_keys import new_key
    from assistant.gateway.identity import integration_of
    from core.config import Settings

    key, entry = new_key("kiosk")
    assert key not in entry and entry.startswith("kiosk:")
    monkeypatch.setenv("ASSISTANT_API_KEYS", f"{entry}, other:{'0' * 64}")
    configured = Settings.from_env().api_keys
    assert integration_of(key, configured) == "kiosk" and integration_of(key + "x", configured) is None
    monkeypatch.setenv("ASSISTANT_API_KEYS", f"kiosk:{key}")  # the key itself, not its digest
    with _pytest.raises(ValueError):
        Settings.from_env()


# --- one turn at a time per conversation (issue #23, item 4) ---


def _simultaneously(app, requests_: list) -> list:
    """Send each (conversation, message) from its own thread and client, the second a moment after the first."""
    import threading
    import time

    results: list = [None] * len(requests_)

    def send(n: int, conversation: str, message: str) -> None:
        results[n] = post(app.test_client(), {"sender": conversation, "message": message})

    threads = []
    for n, (conversation, message) in enumerate(requests_):
        threads.append(threading.Thread(target=send, args=(n, conversation, message)))
        threads[-1].start()
        time.sleep(0.15)
    for thread in threads:
        thread.join(30)
    return results


def test_a_second_simultaneous_message_of_a_conversation_gets_a_429_not_a_thread_held_on_rasa(app, fake_rasa, database):
    import dataclasses
    import time

    app.config["SETTINGS"] = dataclasses.replace(app.config["SETTINGS"], turn_wait_seconds=0.3)
    fake_rasa.reply, fake_rasa.delay = RASA_ANSWER, 1.5
    started = time.monotonic()
    first, second, other = _simultaneously(app, [("t1", "what is embolization?"), ("t1", "and the recovery?"), ("t2", "hello")])
    assert first.status_code == 200 and other.status_code == 200
    assert second.status_code == 429 and "still being answered" in second.json["error"]
    assert [r["message"] for r in fake_rasa.received if r["sender"] == "web:t1"] == ["what is embolization?"]
    assert [m["text"] for m in history(database, "web", "t1")][0] == "what is embolization?"
    assert time.monotonic() - started < 5
    # The turn is over: the next message goes through.
    fake_rasa.delay = 0
    assert post(app.test_client(), {"sender": "t1", "message": "and the recovery?"}).status_code == 200


def test_a_message_that_waits_for_the_turn_is_stored_after_the_first_ones_reply(app, fake_rasa, database):
    fake_rasa.reply, fake_rasa.delay = RASA_ANSWER, 0.6
    first, second = _simultaneously(app, [("t3", "what is embolization?"), ("t3", "and the recovery?")])
    assert first.status_code == 200 and second.status_code == 200
    stored = [(m["role"], m["text"]) for m in history(database, "web", "t3")]
    assert [role for role, _ in stored] == ["patient", "assistant", "patient", "assistant"]
    assert [text for role, text in stored if role == "patient"] == ["what is embolization?", "and the recovery?"]
    assert [r["message"] for r in fake_rasa.received] == ["what is embolization?", "and the recovery?"]


def test_a_lease_left_by_a_crashed_worker_expires(database):
    import datetime as dt

    from core.storage import turn_locks
    from core.storage.models import TurnLock

    with database.session() as session:
        session.add(TurnLock(channel="web", sender_key="t4", holder="dead", expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)))
    held = turn_locks.turn(database, "web", "t4", wait_seconds=0, lease_seconds=30)  # takes over the expired lease
    with held, pytest.raises(turn_locks.Busy), turn_locks.turn(database, "web", "t4", wait_seconds=0.1, lease_seconds=30):
        pass
    with database.session() as session:
        assert session.get(TurnLock, ("web", "t4")) is None


def test_while_the_database_is_down_a_conversations_turns_still_run_one_at_a_time(tmp_path):
    """Two messages sent together during an outage were answered at once and their writes interleaved (both
    patient messages stored, then both replies)."""
    import threading

    from core.storage import turn_locks
    from core.storage.database import Database

    unreachable = Database("postgresql://postgres@127.0.0.1:9/nowhere")
    outcome = []

    def second_message():
        try:
            with turn_locks.turn(unreachable, "web", "t5", wait_seconds=0.2, lease_seconds=30):
                outcome.append("went ahead during the first turn")
        except turn_locks.Busy:
            outcome.append("waited, then busy")

    with turn_locks.turn(unreachable, "web", "t5", wait_seconds=0.2, lease_seconds=30):
        other = threading.Thread(target=second_message)
        other.start()
        other.join(30)
    with turn_locks.turn(unreachable, "web", "t5", wait_seconds=0, lease_seconds=30):  # the turn is over: free again
        outcome.append("next turn")
    assert outcome == ["waited, then busy", "next turn"] and not turn_locks._local
    unreachable.engine.dispose()


def test_a_message_sent_again_with_its_client_id_gets_the_stored_reply_and_is_stored_and_asked_once(client, fake_rasa, database):
    fake_rasa.reply = RASA_ANSWER
    body = {"sender": "r1", "message": "what is embolization?", "client_message_id": "0f1e2d3c4b5a69788796a5b4c3d2e1f0"}
    first = post(client, body)
    fake_rasa.reply = [{"recipient_id": "web:r1", "text": "a different answer"}]
    again = post(client, body)
    assert again.status_code == 200 and again.json["messages"] == first.json["messages"]
    assert [r["message"] for r in fake_rasa.received] == ["what is embolization?"]
    assert [m["role"] for m in history(database, "web", "r1")] == ["patient", "assistant"]
    # Another id is another message, even with the same words.
    other = post(client, {**body, "client_message_id": "another-message-0001"})
    assert other.json["messages"][0]["text"] == "a different answer"
    assert [m["role"] for m in history(database, "web", "r1")] == ["patient", "assistant"] * 2


def test_a_message_stored_before_its_turn_stopped_is_answered_when_sent_again_and_stored_once(client, fake_rasa, database):
    """The gateway that stored the message was killed before the reply: the second send answers it."""
    from core.storage.conversations import add_messages

    add_messages(database, "web", "r2", [("patient", "how do I prepare?", {"client_message_id": "stopped-turn-1"})])
    fake_rasa.reply = RASA_ANSWER
    response = post(client, {"sender": "r2", "message": "how do I prepare?", "client_message_id": "stopped-turn-1"})
    assert response.json["messages"][0]["route"] == "answer"
    assert [(m["role"], m["text"][:17]) for m in history(database, "web", "r2")] == [
        ("patient", "how do I prepare?"),
        ("assistant", "Embolization bloc"),
    ]


def test_an_emergency_sent_again_gets_the_emergency_reply_and_one_ticket_entry(client, fake_rasa, app, database):
    from core.storage.models import Ticket, TicketEvent

    body = {"sender": "r3", "message": "I can't breathe", "client_message_id": "urgent-message-1"}
    first, again = post(client, body), post(client, body)
    assert again.json["messages"] == first.json["messages"]
    assert app.config["SETTINGS"].site.emergency_number in again.json["messages"][0]["text"]
    with database.session() as session:
        assert session.query(Ticket).count() == 1 and session.query(TicketEvent).filter_by(action="red_flag_again").count() == 0
    assert [m["role"] for m in history(database, "web", "r3")] == ["patient", "assistant"]


@pytest.mark.parametrize("value", [42, "short", "x" * 65, "has space in it", "émoji-ids-are-out"])
def test_a_client_message_id_of_the_wrong_form_is_refused(client, fake_rasa, database, value):
    response = post(client, {"sender": "r4", "message": "hello", "client_message_id": value})
    assert response.status_code == 400 and "'client_message_id'" in response.json["error"]
    assert fake_rasa.received == [] and history(database, "web", "r4") == []


def test_when_another_send_of_the_message_was_answered_meanwhile_the_patient_gets_the_stored_answer(client, fake_rasa, database):
    """The first send's turn outlived the client's wait and the turn lock could not keep the two sends apart:
    the turn that stores second gets the first one's replies, so what the patient reads is what is stored."""
    import threading
    import time

    from core.storage.conversations import add_messages

    fake_rasa.reply, fake_rasa.delay = RASA_ANSWER, 0.8

    def other_send_answers() -> None:
        time.sleep(0.3)  # this send's message is stored and its turn waits on Rasa
        add_messages(database, "web", "r5", [("assistant", "The other send's answer.", {"route": "answer", "reply_to": "raced-send-1"})])

    other = threading.Thread(target=other_send_answers)
    other.start()
    response = post(client, {"sender": "r5", "message": "what is embolization?", "client_message_id": "raced-send-1"})
    other.join()
    assert [m["text"] for m in response.json["messages"]] == ["The other send's answer."]
    assert [(m["role"], m["text"][:24]) for m in history(database, "web", "r5")] == [
        ("patient", "what is embolization?"),
        ("assistant", "The other send's answer."),
    ]


@pytest.mark.parametrize("field", ["contact_name", "contact_method", "contact_about", "preferred_times"])
def test_a_question_of_the_contact_form_names_the_field_it_asks_for_in_the_reply_and_the_history(client, fake_rasa, app, field):
    settings = app.config["SETTINGS"]
    # The form's question as Rasa's REST channel sends a domain response: its text, then its custom payload.
    asked = settings.messages.text(f"utter_ask_{field}", "en", settings.site)
    fake_rasa.reply = [
        {"recipient_id": "web:p20", "text": asked, "buttons": [{"title": "Cancel", "payload": "/stop"}]},
        {"recipient_id": "web:p20", "custom": {"route": "escalate_booking", "asks": field}},
    ]
    [reply] = post(client, {"sender": "p20", "message": "I would like to change my appointment"}).json["messages"]
    assert reply["asks"] == field
    web = WebPatients(client)
    assert web.history("p20").json["messages"][-1]["asks"] == field


def test_a_reply_that_asks_for_no_field_says_so(client, fake_rasa):
    fake_rasa.reply = RASA_ANSWER
    [reply] = post(client, {"sender": "p21", "message": "what is embolization?"}).json["messages"]
    assert reply["asks"] is None


def test_a_field_the_form_does_not_have_is_not_passed_on(client, fake_rasa):
    fake_rasa.reply = [{"recipient_id": "web:p22", "text": "Hello.", "custom": {"route": "smalltalk", "asks": "password"}}]
    [reply] = post(client, {"sender": "p22", "message": "hello there"}).json["messages"]
    assert reply["asks"] is None

"""The chat API: what it accepts, what it refuses, and what the patient gets when Rasa fails."""

from __future__ import annotations

import pytest

from assistant.storage.conversations import history

RASA_ANSWER = [
    {"recipient_id": "web:p1", "text": "Embolization blocks a blood vessel on purpose. Call {department_phone}.",
     "buttons": [{"title": "How do I prepare?", "payload": "/ask_preparation"}]},
    {"recipient_id": "web:p1", "custom": {"route": "answer", "procedure": "embolization", "topic": "definition",
                                          "sources": [{"doc": "embolization", "section": "definition",
                                                       "title": "Embolization", "reviewed": "2026-11-23"}],
                                          "score": 0.61}},
]


def post(client, body=None, *, data=None, content_type="application/json"):
    if body is not None:
        return client.post("/api/chat", json=body)
    return client.post("/api/chat", data=data, content_type=content_type)


def test_a_question_is_forwarded_and_the_reply_carries_its_structured_fields(client, fake_rasa, app):
    fake_rasa.reply = RASA_ANSWER
    response = post(client, {"sender": "p1", "message": "what is embolization?"})
    assert response.status_code == 200
    body = response.json
    assert body["sender"] == "p1"
    assert fake_rasa.received == [{"sender": "web:p1", "message": "what is embolization?", "metadata": {"channel": "web"}}]
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
        fake_rasa.delay = 3  # the test app waits 2 s
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
        ({"body": {"message": "hello"}}, 400, "'sender'"),
        ({"body": {"sender": "a"}}, 400, "'message'"),
        ({"body": {"sender": "a", "message": 42}}, 400, "'message'"),
        ({"body": {"sender": "a", "message": {"text": "hi"}}}, 400, "'message'"),
        ({"body": {"sender": ["a"], "message": "hi"}}, 400, "'sender'"),
        ({"body": {"sender": "a b <script>", "message": "hi"}}, 400, "'sender'"),
        ({"body": {"sender": "a", "message": "   \n\t "}}, 400, "empty"),
        ({"body": {"sender": "a", "message": "\u200b\u202e\u0000"}}, 400, "empty"),
        ({"body": {"sender": "a", "message": "x" * 2001}}, 400, "too long"),
        ({"data": '{"sender": "a", "message": "' + "x" * 20000 + '"}', "content_type": "application/json"}, 413, "too large"),
        ({"data": '{"sender": "a", "message": "hi", "x": ' + "[" * 50 + "]" * 50 + "}", "content_type": "application/json"},
         400, "nested"),
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

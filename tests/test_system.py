"""The real assistant end to end: Rasa server, action server and gateway, started as `make run` starts them."""

from __future__ import annotations

import requests

from assistant.storage.conversations import history
from assistant.storage.database import Database


def test_three_questions_in_one_conversation_get_three_answers_with_sources(system):
    asked = ["what is embolization?", "how do I prepare?", "when can I drive?"]
    replies = [system.chat("three-questions", question)["messages"] for question in asked]

    for messages, topic in zip(replies, ["definition", "preparation", "driving"], strict=True):
        [answer] = messages
        assert answer["route"] == "answer"
        assert (answer["procedure"], answer["topic"]) == ("embolization", topic)
        assert answer["sources"][0]["doc"] == "embolization"
        assert answer["sources"][0]["section"] == topic
        assert answer["sources"][0]["reviewed"]
        assert isinstance(answer["score"], float)
        assert "{" not in answer["text"]


def test_the_conversation_is_stored_for_the_secretariat(system):
    system.chat("stored-conversation", "what is an angiogram?")
    stored = history(Database(system.database_url), "web", "stored-conversation")
    assert [m["role"] for m in stored] == ["patient", "assistant"]
    assert stored[1]["data"]["procedure"] == "angiography"


def test_a_hostile_request_is_refused_before_the_dialogue(system):
    response = requests.post(f"{system.gateway}/api/chat", data=b"\xff\xfe not json",
                             headers={"Content-Type": "application/json"}, timeout=10)
    assert response.status_code == 400
    assert "UTF-8" in response.json()["error"]


def test_health_reports_every_dependency(system):
    body = requests.get(f"{system.gateway}/healthz", timeout=10).json()
    assert body == {"status": "ok", "checks": {"database": "ok", "rasa": "ok", "action_server": "ok",
                                                "knowledge_index": "ok"}}

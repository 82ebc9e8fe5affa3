"""Early retrieval: the action server scores a question while Rasa is still reading it, and the answer is the same."""

from __future__ import annotations

import threading
import time
import uuid

import pytest
import requests

from actions.early_retrieval import EarlyWork, parse_request
from assistant.early_retrieval import QUEUE_SIZE, EarlyRetrieval
from tests.support.ports import free_port
from tests.support.web import web_headers

RASA_ANSWER = [{"recipient_id": "web:p1", "text": "An answer.", "custom": {"route": "answer"}}]


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_conversation_that_asked_takes_the_work_once():
    computed = []
    work = EarlyWork(lambda text: computed.append(text) or f"scores of {text}")
    assert work.start("web:p1", "what is embolization?")
    assert not work.start("web:p1", "what is embolization?")  # the same message again starts nothing new
    assert work.take("web:p1", "what is embolization?") == "scores of what is embolization?"
    assert work.take("web:p1", "what is embolization?") is None
    assert computed == ["what is embolization?"]
    assert work.report() == {"started": 1, "taken": 1, "missed": 1, "pending": 0}


def test_another_conversation_asking_the_same_words_gets_nothing_from_it():
    work = EarlyWork(lambda text: f"scores of {text}")
    work.start("web:p1", "how do I prepare?")
    assert work.take("web:p2", "how do I prepare?") is None
    assert work.take("web:p1", "how long does it take?") is None
    assert work.take("web:p1", "how do I prepare?") == "scores of how do I prepare?"


def test_work_nobody_took_is_dropped_after_the_expiry():
    clock = Clock()
    work = EarlyWork(lambda text: text, expiry=30, clock=clock)
    work.start("web:p1", "thanks")
    clock.now += 29
    assert work.report()["pending"] == 1
    clock.now += 2
    assert work.report() == {"started": 1, "expired": 1, "pending": 0}
    assert work.take("web:p1", "thanks") is None


def test_past_the_limit_the_oldest_entry_makes_room():
    work = EarlyWork(lambda text: text, max_entries=2)
    for sender in ("web:a", "web:b", "web:c"):
        work.start(sender, "hello")
    assert work.take("web:a", "hello") is None
    assert work.take("web:b", "hello") == "hello" and work.take("web:c", "hello") == "hello"
    assert work.report()["dropped"] == 1


def test_work_still_queued_is_cancelled_so_the_action_computes_it_at_once():
    release = threading.Event()
    work = EarlyWork(lambda text: release.wait(10) and text, workers=1)
    work.start("web:busy", "first question")  # holds the only worker
    work.start("web:p1", "second question")
    assert work.take("web:p1", "second question") is None
    release.set()
    assert work.take("web:busy", "first question") == "first question"
    assert work.report()["queued"] == 1


def test_work_that_failed_is_reported_and_left_to_the_action(caplog):
    def fail(text):
        raise RuntimeError("index unavailable")

    work = EarlyWork(fail)
    work.start("web:p1", "what is a biopsy?")
    assert work.take("web:p1", "what is a biopsy?") is None
    assert work.report()["failed"] == 1
    assert "early retrieval failed (RuntimeError)" in caplog.text


@pytest.mark.parametrize(
    "body, error",
    [
        (b"\xff\xfe", "must be JSON"),
        (b"[1, 2]", "JSON object"),
        (b'{"text": "hello"}', "'sender'"),
        (b'{"sender": "web:p1", "text": "   "}', "'text'"),
        (b'{"sender": "web:p1", "text": 5}', "'text'"),
        (b'{"sender": "web:p1", "text": "' + b"a" * 4001 + b'"}', "'text'"),
        (b"[" * 100000, "must be JSON"),
        (b'{"sender": "web:p1", "text": "hola", "language": "spanish"}', "'language'"),
        (b'{"sender": "web:p1", "text": "hola", "language": ["es"]}', "'language'"),
    ],
)
def test_a_malformed_hint_is_refused_with_the_reason(body, error):
    with pytest.raises(ValueError, match=error):
        parse_request(body)


def test_the_gateway_hints_the_text_rasa_gets_under_the_same_conversation(client, fake_rasa, fake_actions):
    fake_rasa.reply = RASA_ANSWER
    assert (
        client.post("/api/chat", json={"message": "what is embolization?"}, headers=web_headers(client.application, "p1")).status_code
        == 200
    )
    [hint] = fake_actions.wait_for(1)
    assert hint == {"sender": fake_rasa.received[0]["sender"], "text": fake_rasa.received[0]["message"], "language": "en"}
    assert hint == {"sender": "web:p1", "text": "what is embolization?", "language": "en"}


def test_no_hint_for_an_emergency_or_a_button_payload(client, fake_rasa, fake_actions):
    fake_rasa.reply = RASA_ANSWER
    client.post("/api/chat", json={"message": "I can't breathe"}, headers=web_headers(client.application, "p2"))
    client.post("/api/chat", json={"message": "/ask_preparation"}, headers=web_headers(client.application, "p2"))
    client.post("/api/chat", json={"message": "how do I prepare?"}, headers=web_headers(client.application, "p2"))
    assert [hint["text"] for hint in fake_actions.wait_for(1)] == ["how do I prepare?"]
    assert [m["message"] for m in fake_rasa.received] == ["/ask_preparation", "how do I prepare?"]


def test_the_turn_is_answered_while_the_action_server_still_holds_the_hint(client, fake_rasa, fake_actions, monkeypatch):
    fake_rasa.reply = RASA_ANSWER
    # A long timeout: a turn that waited for the hint's answer would hang here for half a minute.
    monkeypatch.setattr(client.application.extensions["turns"], "early_retrieval", EarlyRetrieval(fake_actions.url, 30))
    fake_actions.answering.clear()
    try:
        reply = client.post("/api/chat", json={"message": "when can I drive?"}, headers=web_headers(client.application, "p3"))
        assert reply.json["messages"][0]["text"] == "An answer."
        assert fake_actions.wait_for(1) == [{"sender": "web:p3", "text": "when can I drive?", "language": "en"}]
    finally:
        fake_actions.answering.set()


def test_an_unreachable_action_server_loses_only_the_hints(client, fake_rasa, fake_actions, monkeypatch):
    fake_rasa.reply = RASA_ANSWER
    hints = EarlyRetrieval(f"http://127.0.0.1:{free_port()}")
    monkeypatch.setattr(client.application.extensions["turns"], "early_retrieval", hints)
    replies = [client.post("/api/chat", json={"message": f"question {n}"}, headers=web_headers(client.application, "p4")) for n in range(5)]
    assert [r.json["messages"][0]["text"] for r in replies] == ["An answer."] * 5
    deadline = time.monotonic() + 10
    while hints.waiting() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert hints.waiting() == 0  # every hint was tried and refused
    hints.url = f"{fake_actions.url}/early-retrieval"  # the action server is back: the same sender goes on
    hints.hint("web:p4", "question 5")
    assert fake_actions.wait_for(1) == [{"sender": "web:p4", "text": "question 5", "language": "en"}]


def test_hints_past_the_queue_are_dropped_rather_than_waited_for(fake_actions):
    hints = EarlyRetrieval(fake_actions.url)
    fake_actions.answering.clear()
    try:
        assert hints.hint("web:p1", "question 0")
        fake_actions.wait_for(1)  # the sender is now busy with it
        accepted = [hints.hint("web:p1", f"question {n}") for n in range(1, 41)]
    finally:
        fake_actions.answering.set()
    assert accepted == [True] * QUEUE_SIZE + [False] * (40 - QUEUE_SIZE)


# With the real processes: what the action server did with the gateway's hint, and that the answer is unchanged.


def counts(system) -> dict:
    return requests.get(f"{system.actions}/early-retrieval", timeout=10).json()


def test_an_answer_through_the_gateway_uses_the_work_started_early(system):
    before = counts(system)
    reply = system.chat(f"early-{uuid.uuid4().hex[:8]}", "how long does an angiogram take")
    assert reply["messages"][0]["route"] == "answer"
    after = counts(system)
    assert after["taken"] - before.get("taken", 0) == 1
    assert after.get("missed", 0) == before.get("missed", 0)


def test_the_answer_is_the_same_with_the_early_work_and_without_it(system):
    question = "what are the risks of a biopsy"
    through_gateway = system.chat(f"early-{uuid.uuid4().hex[:8]}", question)["messages"][0]
    before = counts(system)
    direct = requests.post(
        f"{system.rasa}/webhooks/rest/webhook", timeout=60, json={"sender": f"web:early-{uuid.uuid4().hex[:8]}", "message": question}
    ).json()
    assert counts(system)["missed"] - before.get("missed", 0) == 1  # Rasa called alone: computed in the action
    [answer] = [m["custom"] for m in direct if m.get("custom", {}).get("route") == "answer"]
    assert (through_gateway["text"], through_gateway["sources"]) == (answer["text"], answer["sources"])


def test_the_action_server_refuses_a_malformed_hint(system):
    response = requests.post(f"{system.actions}/early-retrieval", data=b"not json", timeout=10)
    assert response.status_code == 400 and response.json() == {"error": "the body must be JSON"}
    accepted = requests.post(f"{system.actions}/early-retrieval", json={"sender": "web:x", "text": "hello"}, timeout=10)
    assert accepted.status_code == 202 and accepted.json() == {"started": True}


def test_a_hint_carries_the_conversations_language_which_picks_the_index():
    assert parse_request(b'{"sender": "web:p1", "text": "hola"}') == ("web:p1", "hola", "en")
    assert parse_request(b'{"sender": "web:p1", "text": "hola", "language": "es"}') == ("web:p1", "hola", "es")

"""The transcript the gateway writes on every turn, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading

from assistant.storage import conversations
from assistant.storage.database import Database


def test_messages_are_kept_in_order_with_the_take_over_state(storage_url):
    db = Database(storage_url)
    assert conversations.add_messages(db, "web", "patient-1", [("patient", "hello", {})]) is False
    conversations.add_messages(db, "web", "patient-1", [("assistant", "Hello!", {"route": "greeting"}),
                                                        ("assistant", "How can I help?", {})])
    conversations.add_messages(db, "sms", "patient-1", [("patient", "other channel", {})])
    kept = conversations.history(db, "web", "patient-1")
    assert [(m["role"], m["text"], m["data"]) for m in kept] == [
        ("patient", "hello", {}), ("assistant", "Hello!", {"route": "greeting"}), ("assistant", "How can I help?", {})]
    assert [m["text"] for m in conversations.history(db, "sms", "patient-1")] == ["other channel"]


def test_a_new_patients_first_two_messages_at_once_land_in_one_conversation(storage_url):
    db = Database(storage_url)
    failures = []

    def send(sender: str, text: str, start: threading.Barrier) -> None:
        start.wait()
        try:
            conversations.add_messages(db, "whatsapp", sender, [("patient", text, {})])
        except Exception as exc:  # noqa: BLE001 (the test reports any failure)
            failures.append(exc)

    for n in range(25):
        start = threading.Barrier(2)
        pair = [threading.Thread(target=send, args=(f"new-{n}", text, start)) for text in ("hi", "my drain is leaking")]
        for thread in pair:
            thread.start()
        for thread in pair:
            thread.join()
        assert sorted(m["text"] for m in conversations.history(db, "whatsapp", f"new-{n}")) == ["hi", "my drain is leaking"]
    assert failures == []

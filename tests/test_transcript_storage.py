"""The transcript the gateway writes on every turn, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import threading

from core.storage import conversations
from core.storage.database import Database


def test_messages_are_kept_in_order_with_the_take_over_state(storage_url):
    db = Database(storage_url)
    assert conversations.add_messages(db, "web", "patient-1", [("patient", "hello", {})]).taken_over is False
    conversations.add_messages(
        db, "web", "patient-1", [("assistant", "Hello!", {"route": "greeting"}), ("assistant", "How can I help?", {})]
    )
    conversations.add_messages(db, "sms", "patient-1", [("patient", "other channel", {})])
    kept = conversations.history(db, "web", "patient-1")
    assert [(m["role"], m["text"], m["data"]) for m in kept] == [
        ("patient", "hello", {}),
        ("assistant", "Hello!", {"route": "greeting"}),
        ("assistant", "How can I help?", {}),
    ]
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


def test_a_conversation_keeps_its_language_until_a_message_sets_another(storage_url):
    db = Database(storage_url)
    first = conversations.add_messages(db, "web", "p-lang", [("patient", "bonjour", {})], None, "fr")
    assert first.language == "fr"
    # Only when unset: a name typed into the form ("Jean-Pierre Dubois") does not switch it.
    assert conversations.add_messages(db, "web", "p-lang", [("patient", "x", {})], None, "de").language == "fr"
    assert conversations.add_messages(db, "web", "p-lang", [("assistant", "ok", {})]).language == "fr"
    assert conversations.add_messages(db, "web", "p-lang", [("patient", "y", {})], "es").language == "es"


def test_while_held_the_full_note_is_due_once_per_wait_and_a_resolved_ticket_reopens(storage_url):

    from sqlalchemy import select, update

    from core.storage.held import FULL_NOTE, NOTE_REPEAT, patient_wrote_while_held
    from core.storage.models import Conversation, StaffUser, Ticket
    from core.storage.tickets import create_ticket

    db = Database(storage_url)
    ticket = create_ticket(db, "sms", "+447700900123", "booking", "move my appointment")
    with db.session() as session:
        staff = StaffUser(username="anna", password_hash="-", role="secretariat")
        session.add(staff)
        session.flush()
        session.execute(update(Conversation).values(taken_over_by_id=staff.id, taken_over_at=dt.datetime.now(dt.UTC)))
        session.execute(update(Ticket).values(status="resolved"))

    def patient_writes(text: str, now: dt.datetime | None = None) -> tuple[bool, str | None]:
        conversations.add_messages(db, "sms", "+447700900123", [("patient", text, {})])
        turn = patient_wrote_while_held(db, "sms", "+447700900123", text, now)
        note = FULL_NOTE if turn.full_note else "receipt"
        conversations.add_messages(db, "sms", "+447700900123", [("assistant", "...", {"held_note": note})])
        return turn.full_note, turn.reopened

    assert patient_writes("hello?") == (True, ticket.reference)  # the resolved ticket is open again
    assert patient_writes("are you there?") == (False, None)
    conversations.add_messages(db, "sms", "+447700900123", [("staff", "Hello, Anna here.", {})])
    assert patient_writes("thanks") == (True, None)
    assert patient_writes("one more thing") == (False, None)
    later = dt.datetime.now(dt.UTC) + NOTE_REPEAT + dt.timedelta(minutes=1)
    assert patient_writes("hello again", later) == (True, None)
    with db.session() as session:
        assert session.scalar(select(Ticket.status)) == "open"


def test_a_message_with_a_client_id_already_stored_and_its_replies_are_not_stored_again(storage_url):
    db = Database(storage_url)
    ask = ("patient", "what is embolization?", {"client_message_id": "id-of-message-1"})
    reply = ("assistant", "Embolization blocks a vessel.", {"route": "answer", "reply_to": "id-of-message-1"})
    conversations.add_messages(db, "web", "c1", [ask])
    assert conversations.earlier_send(db, "web", "c1", "id-of-message-1") == ([],)  # stored, its turn stopped before the reply
    conversations.add_messages(db, "web", "c1", [ask])  # sent again: not stored twice
    conversations.add_messages(db, "web", "c1", [reply])  # its reply, the first
    conversations.add_messages(db, "web", "c1", [ask])
    conversations.add_messages(db, "web", "c1", [("assistant", "Another reply.", {"reply_to": "id-of-message-1"})])  # a second turn's reply
    assert [(m["role"], m["text"]) for m in conversations.history(db, "web", "c1")] == [ask[:2], reply[:2]]
    assert conversations.earlier_send(db, "web", "c1", "id-of-message-1").replies == [{"text": reply[1], "data": reply[2]}]
    assert conversations.earlier_send(db, "web", "c1", "id-of-message-2") is None
    # Without client ids, the same words are two messages.
    conversations.add_messages(db, "web", "c1", [("patient", "what is embolization?", {})])
    assert [m["role"] for m in conversations.history(db, "web", "c1")] == ["patient", "assistant", "patient"]


def test_a_replayed_second_answer_to_an_answered_message_is_kept_marked_as_a_resend(storage_url):
    """The message was answered, the reply did not reach the client, and the client sent it again while the
    database could not be asked: that turn answered anew and its write was queued. The patient read the second
    answer, so the transcript keeps it, marked, after the first; a later resend still gets the first."""
    db = Database(storage_url)
    ask = ("patient", "how do I prepare?", {"client_message_id": "id-of-message-3"})
    first = ("assistant", "Do not eat for six hours.", {"route": "answer", "reply_to": "id-of-message-3"})
    conversations.add_messages(db, "web", "c3", [ask, first])
    second = ("assistant", "We have a technical problem.", {"route": "fallback", "reply_to": "id-of-message-3"})
    at = dt.datetime.now(dt.UTC)
    conversations.add_messages(db, "web", "c3", [ask], at=at, write_id="queued-1")  # replayed: the resend's own writes
    conversations.add_messages(db, "web", "c3", [second], at=at, write_id="queued-2")
    stored = conversations.history(db, "web", "c3")
    assert [(m["role"], m["text"]) for m in stored] == [ask[:2], first[:2], second[:2]]
    assert stored[2]["data"] == {**second[2], conversations.RESEND: True}
    assert conversations.RESEND not in stored[1]["data"]
    assert [r["text"] for r in conversations.earlier_send(db, "web", "c3", "id-of-message-3").replies] == [first[1]]
    # Written at once (not replayed), a second answer is left out: its turn returns the stored one.
    state = conversations.add_messages(db, "web", "c3", [("assistant", "Another.", {"reply_to": "id-of-message-3"})])
    assert state.left_out == 1
    assert len(conversations.history(db, "web", "c3")) == 3


def test_replies_stored_after_both_of_two_messages_sent_together_belong_to_the_message_each_names(storage_url):
    """Two messages answered side by side during an outage are stored as both messages, then both replies: a
    resend of the first finds its own reply, not none (its reply is not the one stored right after it)."""
    db = Database(storage_url)
    conversations.add_messages(
        db,
        "web",
        "c2",
        [
            ("patient", "what are the risks?", {"client_message_id": "pair-first"}),
            ("patient", "how long does it take?", {"client_message_id": "pair-second"}),
            ("assistant", "The risks.", {"reply_to": "pair-first"}),
            ("assistant", "About an hour.", {"reply_to": "pair-second"}),
        ],
    )
    assert [r["text"] for r in conversations.earlier_send(db, "web", "c2", "pair-first").replies] == ["The risks."]
    assert [r["text"] for r in conversations.earlier_send(db, "web", "c2", "pair-second").replies] == ["About an hour."]

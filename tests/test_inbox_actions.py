"""Staff actions on a ticket: take over, reply, hand back, resolve, reopen, assign, notes; the ticket page and the audit log.
The last test does it through the real running assistant (Rasa, action server, gateway)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import requests
from sqlalchemy import select, update

from assistant.delivery import Delivery
from core.storage.conversations import add_messages, history
from core.storage.database import Database
from core.storage.models import AuditEntry, Conversation, Ticket, TicketEvent
from tests.support.inbox import conversation_of, create_staff, make_app, page_token, post_form, raise_ticket, signed_in
from tests.support.web import integration_headers, web_headers


def events_of(db, ticket_id: int) -> list[tuple[int | None, str, str]]:
    with db.session() as session:
        return [
            (e.staff_id, e.action, e.detail)
            for e in session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.id))
        ]


def audit_of(db) -> list[tuple[int | None, str, int | None]]:
    with db.session() as session:
        return [(e.staff_id, e.action, e.ticket_id) for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def status_of(db, ticket_id: int) -> str:
    with db.session() as session:
        return session.get(Ticket, ticket_id).status


def flash_of(response) -> str:
    match = re.search(r'class="flash flash-(\w+)"[^>]*>([^<]*)<', response.get_data(as_text=True))
    return f"{match.group(1)}: {match.group(2)}" if match else ""


def test_the_ticket_page_shows_the_whole_conversation_contact_details_and_what_was_understood(inbox_app):
    db = inbox_app.extensions["db"]
    add_messages(
        db,
        "web",
        "p1",
        [
            ("patient", "what is embolization?", {}),
            (
                "assistant",
                "Embolization blocks a blood vessel on purpose.",
                {"route": "answer", "procedure": "embolization", "topic": "definition"},
            ),
            ("patient", "I need to move my appointment", {}),
        ],
    )
    ticket = raise_ticket(
        db,
        "p1",
        "booking",
        "move my appointment",
        route="escalate_booking",
        contact={
            "name": "Sam Jones",
            "method": "+447700900123",
            "about": "move my appointment",
            "preferred_times": "mornings",
            "consent": True,
        },
    )
    client, _ = signed_in(inbox_app, "anna")

    html = client.get(f"/inbox/tickets/{ticket}").get_data(as_text=True)

    texts = re.findall(r'<p class="msg-text">([^<]*)</p>', html)
    assert texts == ["what is embolization?", "Embolization blocks a blood vessel on purpose.", "I need to move my appointment"]
    assert re.findall(r'class="msg msg-(\w+)', html) == ["patient", "assistant", "patient"]
    assert html.count('<span class="msg-channel">web chat</span>') == 3
    for shown in ("Sam Jones", "+447700900123", "mornings", "booking request", "embolization", "definition"):
        assert shown in html
    assert "raised the ticket: booking request" in html


def test_an_answer_to_a_message_sent_again_is_marked_on_the_ticket_page_and_in_the_poll(inbox_app):
    """A message answered, then sent again during a database outage and answered anew: staff see both answers,
    the second marked, so they know the patient read that one."""
    db = inbox_app.extensions["db"]
    ask = ("patient", "how do I prepare?", {"client_message_id": "message-prepare-1"})
    add_messages(db, "web", "p-resend", [ask, ("assistant", "Do not eat for six hours.", {"reply_to": "message-prepare-1"})])
    at = dt.datetime.now(dt.UTC)
    technical = ("assistant", "We have a technical problem.", {"route": "fallback", "reply_to": "message-prepare-1"})
    add_messages(db, "web", "p-resend", [ask, technical], at=at, write_id="replayed-resend")
    ticket = raise_ticket(db, "p-resend", "clinical", "preparation")
    client, _ = signed_in(inbox_app, "anna")

    html = client.get(f"/inbox/tickets/{ticket}").get_data(as_text=True)

    items = re.findall(r'<li class="msg msg-\w+[^"]*" data-message-id="\d+">(.*?)</li>', html, re.S)
    assert len(items) == 3
    assert "Answer to the message sent again" in items[2] and "technical problem" in items[2]
    assert "Answer to the message sent again" not in items[1]
    polled = client.get(f"/inbox/api/tickets/{ticket}/messages?after=0").get_json()["messages"]
    assert [m["resend"] for m in polled] == [False, False, True]


def test_taking_over_silences_the_assistant_for_that_conversation_and_is_recorded(inbox_app):
    db = inbox_app.extensions["db"]
    ticket = raise_ticket(db, "p1", "clinical")
    client, me = signed_in(inbox_app, "anna")

    response = post_form(client, f"/inbox/tickets/{ticket}/take-over", {"expected": ""})

    assert response.status_code == 303
    conversation = conversation_of(db, ticket)
    assert conversation.taken_over_by_id == me and conversation.taken_over_at is not None
    assert status_of(db, ticket) == "in_progress"
    assert events_of(db, ticket)[1:] == [
        (me, "take_over", "took over the conversation from the assistant"),
        (me, "status", "open → in_progress"),
    ]
    assert (me, "take_over", ticket) in audit_of(db)
    page = client.get(f"/inbox/tickets/{ticket}")
    assert "You have taken over" in page.get_data(as_text=True)
    again = post_form(client, f"/inbox/tickets/{ticket}/take-over", {"expected": str(me)})
    assert again.status_code == 409 and "already taken over" in again.get_data(as_text=True)


def test_a_web_reply_is_stored_for_the_widget_and_staff_see_how_it_was_delivered(inbox_app):
    db = inbox_app.extensions["db"]
    ticket = raise_ticket(db, "p1", "booking")
    client, me = signed_in(inbox_app, "anna", display_name="Anna Smith")

    response = post_form(client, f"/inbox/tickets/{ticket}/reply", {"text": "  We have moved you to Monday 9:00.\u200b "})

    assert response.status_code == 303
    followed = client.get(response.headers["Location"])
    assert "Reply sent: shown in the web chat." in flash_of(followed)
    [message] = history(db, "web", "p1")
    assert (message["role"], message["text"]) == ("staff", "We have moved you to Monday 9:00.")
    assert message["data"]["staff_name"] == "Anna Smith" and message["data"]["delivery"] == "shown in the web chat"
    # The widget reads the same history, and learns that a person is answering.
    widget = inbox_app.test_client().get("/api/chat/history", headers=web_headers(inbox_app, "p1")).json
    assert widget["messages"][-1]["text"] == "We have moved you to Monday 9:00." and widget["taken_over"] is True
    assert (me, "reply", "shown in the web chat") in events_of(db, ticket)


def test_a_reply_goes_out_through_the_patients_channel_and_a_failure_is_shown_to_staff(inbox_app, monkeypatch):
    db = inbox_app.extensions["db"]
    sent = []

    def pager(database, sender_key, text):
        sent.append((sender_key, text))
        if "fail" in text:
            return Delivery(False, "not sent: the number opted out")
        return Delivery(True, "sent by pager")

    monkeypatch.setitem(inbox_app.extensions["senders"], "pager", pager)
    ticket = raise_ticket(db, "+447700900123", "booking", channel="pager")
    client, _ = signed_in(inbox_app, "anna")

    ok = client.get(post_form(client, f"/inbox/tickets/{ticket}/reply", {"text": "See you Monday"}).headers["Location"])
    failed = client.get(post_form(client, f"/inbox/tickets/{ticket}/reply", {"text": "this will fail"}).headers["Location"])

    assert sent == [("+447700900123", "See you Monday"), ("+447700900123", "this will fail")]
    assert flash_of(ok).endswith("Reply sent: sent by pager.")  # after "You have taken over ..."
    assert flash_of(failed).startswith(
        "warning: Your reply is saved in the conversation but did not reach the patient (not sent: the number opted out)"
    )
    assert '<span class="tag tag-warning">not sent: the number opted out</span>' in failed.get_data(as_text=True)


def test_a_colleague_cannot_reply_in_a_conversation_someone_else_has_taken_over(inbox_app):
    db = inbox_app.extensions["db"]
    ticket = raise_ticket(db, "p1", "clinical")
    anna, anna_id = signed_in(inbox_app, "anna", display_name="Anna Smith")
    ben, ben_id = signed_in(inbox_app, "ben", display_name="Ben Jones")
    post_form(anna, f"/inbox/tickets/{ticket}/take-over", {"expected": ""})

    refused = post_form(ben, f"/inbox/tickets/{ticket}/reply", {"text": "Hello from Ben"})

    assert refused.status_code == 409
    html = refused.get_data(as_text=True)
    assert "Anna Smith has taken over this conversation" in html
    assert "Hello from Ben</textarea>" in html  # what he typed is not lost
    assert history(db, "web", "p1") == []

    stale = post_form(ben, f"/inbox/tickets/{ticket}/take-over", {"expected": ""})  # drawn before Anna took it
    assert stale.status_code == 409 and "has just taken over" in stale.get_data(as_text=True)
    taken = post_form(ben, f"/inbox/tickets/{ticket}/take-over", {"expected": str(anna_id)})
    assert taken.status_code == 303 and conversation_of(db, ticket).taken_over_by_id == ben_id
    assert (ben_id, "take_over", "took over the conversation from Anna Smith") in events_of(db, ticket)
    assert post_form(ben, f"/inbox/tickets/{ticket}/reply", {"text": "Hello from Ben"}).status_code == 303


def test_handing_back_lets_the_assistant_answer_again_and_tells_the_patient(inbox_app):
    db = inbox_app.extensions["db"]
    ticket = raise_ticket(db, "p1", "booking")
    client, me = signed_in(inbox_app, "anna")
    post_form(client, f"/inbox/tickets/{ticket}/reply", {"text": "Done, see you Monday."})

    response = post_form(client, f"/inbox/tickets/{ticket}/hand-back")

    assert response.status_code == 303
    assert "The patient was told (shown in the web chat)" in flash_of(client.get(response.headers["Location"]))
    assert conversation_of(db, ticket).taken_over_by_id is None
    last = history(db, "web", "p1")[-1]
    assert last["role"] == "assistant" and last["text"].startswith("You are back with the automated assistant")
    assert inbox_app.config["SETTINGS"].site.emergency_number in last["text"]
    actions = [action for _, action, _ in events_of(db, ticket)]
    assert actions[-2:] == ["hand_back", "patient_told"]
    again = post_form(client, f"/inbox/tickets/{ticket}/hand-back")
    assert again.status_code == 409 and "already answering" in again.get_data(as_text=True)


def test_resolving_can_hand_back_at_the_same_time_and_a_resolved_ticket_can_be_reopened(inbox_app):
    db = inbox_app.extensions["db"]
    ticket = raise_ticket(db, "p1", "administrative")
    client, me = signed_in(inbox_app, "anna")
    post_form(client, f"/inbox/tickets/{ticket}/take-over", {"expected": ""})

    resolved = post_form(client, f"/inbox/tickets/{ticket}/resolve", {"hand_back": "y"})

    assert resolved.status_code == 303
    assert status_of(db, ticket) == "resolved" and conversation_of(db, ticket).taken_over_by_id is None
    assert history(db, "web", "p1")[-1]["role"] == "assistant"
    assert post_form(client, f"/inbox/tickets/{ticket}/resolve").status_code == 409

    assert post_form(client, f"/inbox/tickets/{ticket}/reopen").status_code == 303
    assert status_of(db, ticket) == "open"
    statuses = [detail for _, action, detail in events_of(db, ticket) if action == "status"]
    assert statuses == ["open → in_progress", "in_progress → resolved", "resolved → open"]


def test_resolving_without_handing_back_keeps_the_conversation_and_the_patients_next_message_reopens_the_ticket(inbox_app):
    db = inbox_app.extensions["db"]
    ticket = raise_ticket(db, "p1", "administrative")
    client, me = signed_in(inbox_app, "anna")
    post_form(client, f"/inbox/tickets/{ticket}/take-over", {"expected": ""})
    resolved = post_form(client, f"/inbox/tickets/{ticket}/resolve", {})  # box unticked
    assert status_of(db, ticket) == "resolved" and conversation_of(db, ticket).taken_over_by_id == me
    assert "if the patient writes again" in flash_of(client.get(resolved.headers["Location"]))

    [reply] = inbox_app.extensions["turns"].handle("web", "p1", "one more thing about my letter")

    assert reply.text.startswith("Thank you. A member of staff has your message and will reply here.")
    assert inbox_app.config["SETTINGS"].site.emergency_number in reply.text
    assert status_of(db, ticket) == "open" and conversation_of(db, ticket).taken_over_by_id == me
    events = events_of(db, ticket)
    assert events[-2:] == [
        (None, "status", "resolved → open"),
        (None, "reopened", "reopened: the patient wrote while a member of staff kept the conversation"),
    ]
    page = client.get(f"/inbox/tickets/{ticket}").get_data(as_text=True)
    assert "one more thing about my letter" in page and "reopened: the patient wrote" in page


def test_assigning_to_a_colleague_is_recorded_and_an_inactive_account_is_refused(inbox_app):
    db = inbox_app.extensions["db"]
    ticket = raise_ticket(db, "p1", "booking")
    client, me = signed_in(inbox_app, "anna")
    colleague = create_staff(db, "ben", display_name="Ben Jones")
    gone = create_staff(db, "gone", active=False)

    assert post_form(client, f"/inbox/tickets/{ticket}/assign", {"assignee": str(colleague)}).status_code == 303
    with db.session() as session:
        assert session.get(Ticket, ticket).assigned_to_id == colleague
    assert (me, "assign", "assigned to Ben Jones") in events_of(db, ticket)
    refused = post_form(client, f"/inbox/tickets/{ticket}/assign", {"assignee": str(gone)})
    assert refused.status_code == 400 and "Not a valid choice" in refused.get_data(as_text=True)
    assert post_form(client, f"/inbox/tickets/{ticket}/assign", {"assignee": ""}).status_code == 303
    with db.session() as session:
        assert session.get(Ticket, ticket).assigned_to_id is None


def kind_and_priority(db, ticket_id: int) -> tuple[str, str]:
    with db.session() as session:
        ticket = session.get(Ticket, ticket_id)
        return ticket.kind, ticket.priority


def test_staff_change_a_tickets_type_and_priority_and_the_change_is_recorded(inbox_app):
    db = inbox_app.extensions["db"]
    ticket = raise_ticket(db, "p1", "administrative", "my arm is swollen and red")
    client, me = signed_in(inbox_app, "anna")
    assert kind_and_priority(db, ticket) == ("administrative", "normal")

    changed = post_form(client, f"/inbox/tickets/{ticket}/reclassify", {"kind": "clinical", "priority": "high"})

    assert changed.status_code == 303
    assert kind_and_priority(db, ticket) == ("clinical", "high")
    detail = "type Administrative → Clinical; priority Normal → High"
    assert (me, "reclassify", detail) in events_of(db, ticket)
    assert (me, "reclassify", ticket) in audit_of(db)
    page = client.get(changed.headers["Location"]).get_data(as_text=True)
    assert f"Changed: {detail}." in page and "High priority" in page and 'selected value="clinical"' in page

    same = post_form(client, f"/inbox/tickets/{ticket}/reclassify", {"kind": "clinical", "priority": "high"})
    assert same.status_code == 409 and "already has that type and priority" in same.get_data(as_text=True)


@pytest.mark.parametrize("form", [{"kind": "vip", "priority": "normal"}, {"kind": "booking", "priority": "top"}, {"kind": "booking"}])
def test_an_unknown_type_or_priority_is_refused_and_nothing_changes(inbox_app, form):
    db = inbox_app.extensions["db"]
    ticket = raise_ticket(db, "p1", "administrative")
    client, me = signed_in(inbox_app, "anna")
    assert post_form(client, f"/inbox/tickets/{ticket}/reclassify", form).status_code == 400
    assert kind_and_priority(db, ticket) == ("administrative", "normal")
    assert not [e for e in events_of(db, ticket) if e[1] == "reclassify"]


def test_changing_the_type_or_priority_needs_the_forms_csrf_token(inbox_app):
    db = inbox_app.extensions["db"]
    ticket = raise_ticket(db, "p1", "administrative")
    client, _ = signed_in(inbox_app, "anna")
    response = client.post(f"/inbox/tickets/{ticket}/reclassify", data={"kind": "clinical", "priority": "high"})
    assert response.status_code == 400 and "reload the page and try again" in response.get_data(as_text=True)
    assert kind_and_priority(db, ticket) == ("administrative", "normal")


def test_an_internal_note_is_kept_on_the_ticket_and_never_reaches_the_patient(inbox_app):
    db = inbox_app.extensions["db"]
    ticket = raise_ticket(db, "p1", "clinical")
    client, me = signed_in(inbox_app, "anna")

    response = post_form(client, f"/inbox/tickets/{ticket}/notes", {"text": "Called twice, no answer. Try after 2 pm."})

    assert response.status_code == 303
    html = client.get(f"/inbox/tickets/{ticket}").get_data(as_text=True)
    assert '<p class="note-text">Called twice, no answer. Try after 2 pm.</p>' in html
    assert history(db, "web", "p1") == []
    assert conversation_of(db, ticket).taken_over_by_id is None  # a note does not take over


@pytest.mark.parametrize(
    ("text", "message"), [("   \u200b  ", "Write the reply before sending it."), ("x" * 2001, "at most 2000 characters")]
)
def test_an_empty_or_too_long_reply_is_refused_and_nothing_is_sent(inbox_app, text, message):
    db = inbox_app.extensions["db"]
    ticket = raise_ticket(db, "p1", "booking")
    client, _ = signed_in(inbox_app, "anna")
    response = post_form(client, f"/inbox/tickets/{ticket}/reply", {"text": text})
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert history(db, "web", "p1") == []
    assert conversation_of(db, ticket).taken_over_by_id is None


def test_actions_on_a_missing_ticket_answer_not_found(inbox_app):
    client, _ = signed_in(inbox_app, "anna")
    assert client.get("/inbox/tickets/999").status_code == 404
    token = page_token(client, "/inbox/")
    assert client.post("/inbox/tickets/999/take-over", data={"csrf_token": token, "expected": ""}).status_code == 404
    assert client.get("/inbox/api/tickets/999/messages").json == {
        "error": "There is nothing here. The ticket may have been deleted under the retention rules."
    }


def test_the_ticket_page_polls_new_messages_of_its_conversation(inbox_app):
    db = inbox_app.extensions["db"]
    add_messages(db, "web", "p1", [("patient", "first", {})])
    ticket = raise_ticket(db, "p1", "booking")
    client, _ = signed_in(inbox_app, "anna")
    after = int(re.search(r'data-after="(\d+)"', client.get(f"/inbox/tickets/{ticket}").get_data(as_text=True)).group(1))

    add_messages(db, "web", "p1", [("patient", "are you there?", {"red_flag": None})])
    body = client.get(f"/inbox/api/tickets/{ticket}/messages?after={after}").json

    assert [(m["role"], m["text"]) for m in body["messages"]] == [("patient", "are you there?")]
    assert body["taken_over_by"] is None


def test_the_audit_log_records_who_opened_which_conversation_and_what_they_did(inbox_app):
    db = inbox_app.extensions["db"]
    ticket = raise_ticket(db, "p1", "booking")
    conversation = conversation_of(db, ticket).id
    anna, anna_id = signed_in(inbox_app, "anna", display_name="Anna Smith")
    anna.get(f"/inbox/tickets/{ticket}")
    post_form(anna, f"/inbox/tickets/{ticket}/reply", {"text": "Booked for Monday."})
    admin, admin_id = signed_in(inbox_app, "root", "admin", display_name="Root Admin")

    with db.session() as session:
        entries = [(e.staff_id, e.action, e.conversation_id) for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
        assert "Booked for Monday" not in " ".join(e.detail for e in session.scalars(select(AuditEntry)))
    assert (anna_id, "open_ticket", conversation) in entries
    assert (anna_id, "take_over", conversation) in entries and (anna_id, "reply", conversation) in entries

    page = admin.get(f"/inbox/audit?conversation={conversation}")
    assert page.status_code == 200
    header, rows = page.get_data(as_text=True).split("<tbody>")
    assert 'aria-current="page">Audit log</a>' in header and 'Root Admin <span class="role">Administrator' in header
    assert "Anna Smith" in rows and "opened a ticket" in rows and "replied to the patient" in rows
    assert "signed in" not in rows  # filtered to that conversation
    assert (admin_id, "view_audit", None) in audit_of(db)
    assert admin.get("/inbox/audit?conversation=abc").status_code == 400


@pytest.mark.system
def test_take_over_reply_and_hand_back_through_the_real_running_assistant(system, tmp_path, monkeypatch):
    sender = "inbox-takeover"
    assert system.chat(sender, "what is embolization?")["messages"]  # the assistant answers (the first turn may be a slow start)
    db = Database(system.database_url)
    ticket = raise_ticket(db, sender, "booking", "wants to move the appointment")
    app = make_app(system.database_url, tmp_path, monkeypatch, rasa_url=system.rasa)
    client, me = signed_in(app, "inbox-nurse")

    assert post_form(client, f"/inbox/tickets/{ticket}/take-over", {"expected": ""}).status_code == 303
    [note] = system.chat(sender, "when can I drive?")["messages"]  # staff answer now: the patient is told so
    assert note["text"].startswith("Thank you. A member of staff has your message and will reply here.")
    emergency = system.chat(sender, "I have chest pain")["messages"]
    assert [m["route"] for m in emergency] == ["urgent"]  # ... but never about an emergency
    with db.session() as session:
        urgent = session.scalars(
            select(Ticket).where(Ticket.kind == "urgent", Ticket.conversation_id == conversation_of(db, ticket).id)
        ).all()
    assert len(urgent) == 1

    assert post_form(client, f"/inbox/tickets/{ticket}/reply", {"text": "I can move you to Monday at 9."}).status_code == 303
    widget = requests.get(f"{system.gateway}/api/chat/history", params={"sender": sender}, headers=integration_headers(), timeout=10).json()
    assert widget["taken_over"] is True
    assert widget["messages"][-1]["role"] == "staff" and widget["messages"][-1]["text"] == "I can move you to Monday at 9."

    assert post_form(client, f"/inbox/tickets/{ticket}/hand-back").status_code == 303
    widget = requests.get(f"{system.gateway}/api/chat/history", params={"sender": sender}, headers=integration_headers(), timeout=10).json()
    assert widget["taken_over"] is False
    assert widget["messages"][-1]["text"].startswith("You are back with the automated assistant")
    answer = system.chat(sender, "when can I drive?")["messages"]
    assert answer and answer[0]["route"] == "answer" and answer[0]["topic"] == "driving"
    with db.session() as session:
        assert session.scalar(select(Conversation.taken_over_by_id).where(Conversation.sender_key == sender)) is None
    app.extensions["db"].engine.dispose()


def test_every_read_of_a_conversation_is_audited_once_per_reader_and_window(inbox_app):
    db = inbox_app.extensions["db"]
    ticket = raise_ticket(db, "p1", "booking")
    other = raise_ticket(db, "p2", "booking")
    anna, anna_id = signed_in(inbox_app, "anna")
    ben, ben_id = signed_in(inbox_app, "ben")

    def reads() -> list[tuple]:
        with db.session() as session:
            query = select(AuditEntry).where(AuditEntry.action.in_(("open_ticket", "read_messages"))).order_by(AuditEntry.id)
            return [(e.staff_id, e.action, e.ticket_id) for e in session.scalars(query)]

    for _ in range(30):  # the page's poll
        assert anna.get(f"/inbox/api/tickets/{ticket}/messages?after=0").status_code == 200
    anna.get(f"/inbox/tickets/{ticket}")
    ben.get(f"/inbox/tickets/{ticket}")
    anna.get(f"/inbox/api/tickets/{other}/messages")
    assert reads() == [(anna_id, "read_messages", ticket), (ben_id, "open_ticket", ticket), (anna_id, "read_messages", other)]

    with db.session() as session:  # the window has passed
        session.execute(update(AuditEntry).values(created_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=11)))
    anna.get(f"/inbox/tickets/{ticket}")
    assert reads()[-1] == (anna_id, "open_ticket", ticket) and len(reads()) == 4


def test_the_ticket_page_shows_the_conversations_language_and_a_reply_goes_out_as_written(inbox_app, monkeypatch):
    db = inbox_app.extensions["db"]
    sent = []
    monkeypatch.setitem(inbox_app.extensions["senders"], "pager", lambda database, to, text: sent.append(text) or Delivery(True, "sent"))
    add_messages(db, "pager", "+33600000001", [("patient", "Je voudrais déplacer mon rendez-vous de mardi", {})], language="fr")
    ticket = raise_ticket(db, "+33600000001", "booking", channel="pager")
    client, _ = signed_in(inbox_app, "anna")

    html = client.get(f"/inbox/tickets/{ticket}").get_data(as_text=True)
    shown = re.search(r'<dd id="conversation-language">(.*?)</dd>', html, re.S).group(1)
    assert re.sub(r"<[^>]+>", "", shown) == "FR Français"
    assert "The patient writes in Français. Your reply is sent exactly as you write it: it is never translated." in html

    # Whatever language the staff member writes in, the patient gets those words: nothing translates or adds to them.
    for written in ("Bonjour, votre rendez-vous est déplacé à jeudi 9 h.", "Sorry, I only write English: see you Thursday at 9."):
        assert post_form(client, f"/inbox/tickets/{ticket}/reply", {"text": written}).status_code == 303
    assert sent == ["Bonjour, votre rendez-vous est déplacé à jeudi 9 h.", "Sorry, I only write English: see you Thursday at 9."]
    assert [m["text"] for m in history(db, "pager", "+33600000001") if m["role"] == "staff"] == sent
    assert conversation_of(db, ticket).language == "fr"  # a staff reply does not change the patient's language


def test_a_conversation_whose_language_is_not_known_yet_says_so(inbox_app):
    db = inbox_app.extensions["db"]
    ticket = raise_ticket(db, "p1", "booking")
    client, _ = signed_in(inbox_app, "anna")
    html = client.get(f"/inbox/tickets/{ticket}").get_data(as_text=True)
    assert '<dd id="conversation-language">not known yet</dd>' in html
    assert "The patient writes in" not in html and "it is never translated" in html


@pytest.mark.parametrize(
    ("typed", "link"),
    [
        ("maria.lopez@example.org", "mailto:maria.lopez@example.org"),
        ("  Jean.Dupont+ir@hopital.example.fr ", "mailto:Jean.Dupont+ir@hopital.example.fr"),
        ("+44 7700 900123", "tel:+447700900123"),
        ("07700-900-123", "tel:07700900123"),
        ("(020) 7946 0000", "tel:02079460000"),
        ("call me after 5", None),
        ("javascript:alert(1)", None),
        ("mailto:x@example.org", None),
        ('a@example.org"><script>alert(1)</script>', None),
        ("x@example.org?subject=hi", None),
        ("12345", None),  # too few digits for a phone number
    ],
)
def test_a_contact_phone_or_e_mail_is_a_tel_or_mailto_link_and_anything_else_stays_text(inbox_app, typed, link):
    db = inbox_app.extensions["db"]
    ticket = raise_ticket(db, "p1", "booking", contact={"name": "Sam Jones", "method": typed, "consent": True})
    client, _ = signed_in(inbox_app, "anna")

    html = client.get(f"/inbox/tickets/{ticket}").get_data(as_text=True)
    contact = re.search(r'<dl class="contact">(.*?)</dl>', html, re.S).group(1)

    links = re.findall(r'<a class="contact-link" href="([^"]*)">([^<]*)</a>', contact)
    if link is None:
        assert links == [] and "<script>" not in contact
    else:
        assert links == [(link, typed.strip())]
    assert "Sam Jones" in contact and 'href="' not in contact.replace('<a class="contact-link" href="', "")


def test_an_sms_patient_without_contact_details_gets_a_tel_link_to_the_number_they_write_from(inbox_app):
    db = inbox_app.extensions["db"]
    ticket = raise_ticket(db, "+447700900123", "booking", channel="sms")
    client, _ = signed_in(inbox_app, "anna")
    html = client.get(f"/inbox/tickets/{ticket}").get_data(as_text=True)
    assert 'They write from <a class="contact-link" href="tel:+447700900123">+447700900123</a>.' in html

"""The ticket page's contact panel: the same patient's other tickets, verified matches (same conversation, same
SMS/WhatsApp number) apart from details the patient typed, each linked."""

from __future__ import annotations

from assistant.inbox.contacts import contact_history, contact_keys, phone_digits
from core.storage.conversations import add_messages
from core.storage.models import Ticket
from tests.support.inbox import raise_ticket, signed_in


def history_of(db, ticket_id: int):
    with db.session() as session:
        found = contact_history(session, session.get(Ticket, ticket_id))
        return [t.id for t in found.verified], [t.id for t in found.typed]


def test_phone_numbers_match_on_their_digits_and_e_mail_addresses_whatever_their_case():
    assert phone_digits("+44 7700 900456") == phone_digits("+447700900456") == "447700900456"
    assert phone_digits("call me after 5") is None and phone_digits("12345") is None and phone_digits("a@b.org") is None
    assert contact_keys({"name": "Maria", "method": "Maria.Lopez@Example.org", "phone": "+44 (0)20 7946 0000"}) == {
        "email:maria.lopez@example.org": "Maria.Lopez@Example.org",
        "phone:4402079460000": "+44 (0)20 7946 0000",
    }


def test_the_same_number_on_sms_and_whatsapp_is_a_verified_match_and_a_typed_one_is_shown_apart(inbox_app):
    db = inbox_app.extensions["db"]
    add_messages(db, "sms", "+447700900456", [("patient", "my wound is red", {})])
    first = raise_ticket(db, "+447700900456", "clinical", channel="sms")
    second = raise_ticket(db, "+447700900456", "booking", channel="sms")
    on_whatsapp = raise_ticket(db, "+447700900456", "administrative", channel="whatsapp")
    typed_in_web_chat = raise_ticket(db, "w-1", "booking", contact={"name": "John", "method": "+44 7700 900456"})
    other_patient = raise_ticket(db, "+447700900999", "booking", channel="sms", contact={"method": "+447700900999"})
    typed_other_digits = raise_ticket(db, "w-2", "booking", contact={"method": "07700 900456"})

    verified, typed = history_of(db, first)
    assert verified == [on_whatsapp, second]
    assert typed == [typed_in_web_chat]
    assert other_patient not in verified + typed and typed_other_digits not in verified + typed
    # From the web chat, only the typed number links it: nothing there is verified but its own conversation.
    assert history_of(db, typed_in_web_chat) == ([], [on_whatsapp, second, first])


def test_web_chat_tickets_match_on_the_same_e_mail_address_typed_in_the_form(inbox_app):
    db = inbox_app.extensions["db"]
    maria = {"name": "María López", "method": "maria.lopez@example.org"}
    earlier = raise_ticket(db, "w-1", "booking", contact=maria)
    sibling = raise_ticket(db, "w-1", "administrative")
    later = raise_ticket(db, "w-2", "clinical", contact={**maria, "method": "MARIA.LOPEZ@example.org"})
    raise_ticket(db, "w-3", "clinical", contact={"method": "maria.lopez@example.com"})
    assert history_of(db, later) == ([], [earlier])
    assert history_of(db, earlier) == ([sibling], [later])


def test_the_ticket_page_links_the_patients_other_tickets(inbox_app):
    db = inbox_app.extensions["db"]
    first = raise_ticket(db, "+447700900456", "clinical", "The wound is red", channel="sms")
    second = raise_ticket(db, "+447700900456", "booking", "Move my appointment", channel="whatsapp")
    client, _ = signed_in(inbox_app, "anna")
    html = client.get(f"/inbox/tickets/{second}").get_data(as_text=True)
    panel = html[html.index('id="contact-history"') : html.index('id="understood-title"')]
    assert f'href="/inbox/tickets/{first}"' in panel and "The wound is red" in panel and "+447700900456" in panel
    assert "Same details typed" not in panel

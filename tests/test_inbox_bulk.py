"""Resolving several tickets from the queue at once: each one recorded and audited, CSRF-checked, the queue's
filters kept, bad selections refused."""

from __future__ import annotations

from sqlalchemy import select

from core.storage.models import AuditEntry, Ticket, TicketEvent
from tests.support.inbox import page_token, raise_ticket, signed_in


def statuses(db) -> dict[int, str]:
    with db.session() as session:
        return {t.id: t.status for t in session.scalars(select(Ticket))}


def resolve_selected(client, ids, **filters):
    token = page_token(client, "/inbox/")
    return client.post("/inbox/tickets/resolve", data={"csrf_token": token, "ticket": [str(i) for i in ids], **filters})


def test_the_selected_tickets_are_resolved_each_with_its_event_and_audit_entry(inbox_app):
    db = inbox_app.extensions["db"]
    ids = [raise_ticket(db, f"p{n}", "booking") for n in range(4)]
    client, me = signed_in(inbox_app, "anna")

    response = resolve_selected(client, ids[:3], kind="booking", q="request")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/inbox/?status=active&kind=booking&q=request")
    assert statuses(db) == {ids[0]: "resolved", ids[1]: "resolved", ids[2]: "resolved", ids[3]: "open"}
    with db.session() as session:
        audited = sorted(
            a.ticket_id for a in session.scalars(select(AuditEntry).where(AuditEntry.action == "resolve", AuditEntry.staff_id == me))
        )
        events = session.scalars(select(TicketEvent).where(TicketEvent.action == "status")).all()
    assert audited == ids[:3] and {e.ticket_id for e in events} == set(ids[:3])
    assert "3 tickets resolved." in client.get("/inbox/").get_data(as_text=True)

    resolve_selected(client, ids[2:])
    assert statuses(db)[ids[3]] == "resolved"
    assert "1 ticket resolved. 1 of the selected were resolved already" in client.get("/inbox/").get_data(as_text=True)


def test_a_bulk_resolve_without_a_token_with_a_bad_id_or_nothing_selected_changes_nothing(inbox_app):
    db = inbox_app.extensions["db"]
    ticket = raise_ticket(db, "p1", "booking")
    client, _ = signed_in(inbox_app, "anna")

    assert client.post("/inbox/tickets/resolve", data={"ticket": str(ticket)}).status_code == 400
    resolve_selected(client, ["1 OR 1=1"])
    assert "The selection could not be read" in client.get("/inbox/").get_data(as_text=True)
    resolve_selected(client, [])
    assert "Select the tickets to resolve first" in client.get("/inbox/").get_data(as_text=True)
    resolve_selected(client, [ticket + 1000])
    assert "None of the selected tickets could be resolved" in client.get("/inbox/").get_data(as_text=True)
    assert statuses(db) == {ticket: "open"}


def test_the_queue_offers_a_box_per_ticket_not_yet_resolved(inbox_app):
    db = inbox_app.extensions["db"]
    open_one = raise_ticket(db, "p1", "booking")
    done = raise_ticket(db, "p2", "booking")
    client, _ = signed_in(inbox_app, "anna")
    resolve_selected(client, [done])
    html = client.get("/inbox/?status=all").get_data(as_text=True)
    assert f'name="ticket" value="{open_one}" form="bulk-form"' in html
    assert f'name="ticket" value="{done}"' not in html

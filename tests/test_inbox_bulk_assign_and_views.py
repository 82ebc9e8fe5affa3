"""Assigning several tickets from the queue at once, and the queue filters each member of staff saves as a view."""

from __future__ import annotations

from sqlalchemy import select

from core.storage.models import AuditEntry, SavedView, Ticket
from tests.support.inbox import create_staff, page_token, raise_ticket, signed_in


def assignees(db) -> dict[int, int | None]:
    with db.session() as session:
        return {t.id: t.assigned_to_id for t in session.scalars(select(Ticket))}


def assign_selected(client, ids, assign_to, **filters):
    token = page_token(client, "/inbox/")
    data = {"csrf_token": token, "ticket": [str(i) for i in ids], "assign_to": assign_to, **filters}
    return client.post("/inbox/tickets/assign", data=data)


def test_the_selected_tickets_are_assigned_each_audited_and_the_filters_kept(inbox_app):
    db = inbox_app.extensions["db"]
    ids = [raise_ticket(db, f"p{n}", "clinical") for n in range(3)]
    client, me = signed_in(inbox_app, "anna")
    ben = create_staff(db, "ben", display_name="Ben Okafor")

    response = assign_selected(client, ids[:2], str(ben), kind="clinical", assignee="none")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/inbox/?status=active&kind=clinical&assignee=none")
    assert assignees(db) == {ids[0]: ben, ids[1]: ben, ids[2]: None}
    with db.session() as session:
        audited = sorted(a.ticket_id for a in session.scalars(select(AuditEntry).where(AuditEntry.action == "assign")))
    assert audited == ids[:2]
    assert "2 tickets assigned to Ben Okafor." in client.get("/inbox/").get_data(as_text=True)

    assign_selected(client, ids, "none")
    assert set(assignees(db).values()) == {None}
    assert "2 tickets unassigned. 1 of the selected" in client.get("/inbox/").get_data(as_text=True)


def test_a_bulk_assignment_without_a_colleague_or_to_an_inactive_account_changes_nothing(inbox_app):
    db = inbox_app.extensions["db"]
    ids = [raise_ticket(db, f"p{n}", "booking") for n in range(2)]
    client, _ = signed_in(inbox_app, "anna")
    gone = create_staff(db, "gone", active=False)
    for assign_to, message in [("", "Choose whom to assign them to."), (str(gone), "That colleague has no active account.")]:
        assert assign_selected(client, ids, assign_to).status_code == 303
        assert message in client.get("/inbox/").get_data(as_text=True)
    assert set(assignees(db).values()) == {None}


def test_a_bulk_assignment_needs_the_csrf_token(inbox_app):
    db = inbox_app.extensions["db"]
    ticket = raise_ticket(db, "p1", "booking")
    client, me = signed_in(inbox_app, "anna")
    assert client.post("/inbox/tickets/assign", data={"ticket": [str(ticket)], "assign_to": str(me)}).status_code in (303, 400)
    assert assignees(db) == {ticket: None}


def save_view(client, name, **filters):
    token = page_token(client, "/inbox/")
    return client.post("/inbox/views", data={"csrf_token": token, "name": name, **filters})


def test_a_saved_view_is_a_link_to_the_queue_as_filtered_and_only_its_owner_sees_it(inbox_app):
    client, me = signed_in(inbox_app, "anna")
    response = save_view(client, "  My   clinical ", kind="clinical", assignee="me", status="active")
    assert response.status_code == 303
    page = client.get("/inbox/").get_data(as_text=True)
    assert 'href="/inbox/?status=active&amp;kind=clinical&amp;assignee=me"' in page and ">My clinical</a>" in page
    assert client.get("/inbox/?status=active&kind=clinical&assignee=me").status_code == 200

    save_view(client, "My clinical", kind="urgent")  # the same name replaces the filters
    with inbox_app.extensions["db"].session() as session:
        assert [(v.name, v.query, v.staff_id) for v in session.scalars(select(SavedView))] == [
            ("My clinical", "status=active&kind=urgent", me)
        ]

    colleague, _ = signed_in(inbox_app, "ben")
    assert ">My clinical</a>" not in colleague.get("/inbox/").get_data(as_text=True)


def test_only_the_owner_deletes_a_view_and_bad_names_or_filters_are_refused(inbox_app):
    client, _ = signed_in(inbox_app, "anna")
    save_view(client, "Urgent SMS", kind="urgent", channel="sms")
    with inbox_app.extensions["db"].session() as session:
        view_id = session.scalar(select(SavedView.id))

    colleague, _ = signed_in(inbox_app, "ben")
    token = page_token(colleague, "/inbox/")
    colleague.post(f"/inbox/views/{view_id}/delete", data={"csrf_token": token})
    assert "That view does not exist (any more)." in colleague.get("/inbox/").get_data(as_text=True)
    assert ">Urgent SMS</a>" in client.get("/inbox/").get_data(as_text=True)

    token = page_token(client, "/inbox/")
    client.post(f"/inbox/views/{view_id}/delete", data={"csrf_token": token})
    page = client.get("/inbox/").get_data(as_text=True)
    assert "View “Urgent SMS” deleted." in page and ">Urgent SMS</a>" not in page

    save_view(client, "x" * 61)
    assert "Give the view a name of 1 to 60 characters." in client.get("/inbox/").get_data(as_text=True)
    assert save_view(client, "Odd", kind="not-a-kind").status_code == 400
    with inbox_app.extensions["db"].session() as session:
        assert session.scalars(select(SavedView)).all() == []


def test_a_curator_can_neither_save_views_nor_assign(inbox_app):
    db = inbox_app.extensions["db"]
    ticket = raise_ticket(db, "p1", "booking")
    curator, _ = signed_in(inbox_app, "cora", "curator")
    token = page_token(curator, "/inbox/curator/")
    assert curator.post("/inbox/views", data={"csrf_token": token, "name": "Mine"}).status_code == 403
    assert (
        curator.post("/inbox/tickets/assign", data={"csrf_token": token, "ticket": [str(ticket)], "assign_to": "none"}).status_code == 403
    )

"""What each staff role may open: the queue and tickets, the audit log, the curator console (403 where refused)."""

from __future__ import annotations

import pytest

from assistant.inbox.auth import ROLES
from tests.support.inbox import client_for, login, raise_ticket, signed_in

SQLITE_ONLY = pytest.mark.parametrize("storage_url", ["sqlite"], indirect=True)

PAGES = {
    "queue": "/inbox/",
    "ticket": "/inbox/tickets/{ticket}",
    "urgent poll": "/inbox/api/urgent?after=0",
    "audit": "/inbox/audit",
    "audit export": "/inbox/audit.csv",
    "curator": "/inbox/curator/",
    "curator report": "/inbox/curator/report",
    "curator export": "/inbox/curator/export.csv?view=questions",
}
ALLOWED = {
    "secretariat": {"queue", "ticket", "urgent poll"},
    "clinician": {"queue", "ticket", "urgent poll", "curator", "curator report", "curator export"},
    "supervisor": {"queue", "ticket", "urgent poll", "audit", "audit export"},
    "curator": {"curator", "curator report", "curator export"},
    "admin": set(PAGES),
}


def test_every_role_is_described():
    assert set(ALLOWED) == set(ROLES)


@SQLITE_ONLY
@pytest.mark.parametrize("role", ROLES)
def test_each_role_opens_only_its_pages(inbox_app, role):
    ticket = raise_ticket(inbox_app.extensions["db"], "p1", "booking", contact={"name": "Maria Lopez", "method": "+447700900123"})
    client, _ = signed_in(inbox_app, f"user-{role}", role)

    for name, path in PAGES.items():
        status = client.get(path.format(ticket=ticket)).status_code
        assert status == (200 if name in ALLOWED[role] else 403), f"{role} on {name}: {status}"


@SQLITE_ONLY
@pytest.mark.parametrize(
    ("role", "shown", "hidden"),
    [
        ("secretariat", ["Queue"], ["Curation", "Audit log"]),
        ("supervisor", ["Queue", "Audit log"], ["Curation"]),
        ("curator", ["Curation"], ["Queue", "Audit log", "urgent not resolved"]),
        ("admin", ["Queue", "Curation", "Audit log"], []),
    ],
)
def test_the_header_links_what_the_role_may_open(inbox_app, role, shown, hidden):
    client, _ = signed_in(inbox_app, f"user-{role}", role)
    home = "/inbox/curator/" if role == "curator" else "/inbox/"
    header = client.get(home).get_data(as_text=True).split("<main", 1)[0]

    for link in shown:
        assert link in header
    for link in hidden:
        assert link not in header


@SQLITE_ONLY
def test_a_curator_lands_on_the_console_and_sees_no_ticket_or_contact(inbox_app):
    db = inbox_app.extensions["db"]
    raise_ticket(db, "p1", "urgent", "bleeding from the groin", contact={"name": "Maria Lopez", "method": "+447700900123"})
    from tests.support.inbox import create_staff

    create_staff(db, "cora", "curator")
    client = client_for(inbox_app)

    response = login(client, "cora")

    assert response.status_code == 303 and response.headers["Location"] == "/inbox/curator/"
    page = client.get("/inbox/curator/").get_data(as_text=True)
    for private in ("Maria Lopez", "+447700900123", "bleeding from the groin", "data-urgent-url"):
        assert private not in page


@SQLITE_ONLY
@pytest.mark.parametrize("role", ["supervisor", "curator"])
def test_the_staff_command_creates_the_new_roles(inbox_app, role):
    result = inbox_app.test_cli_runner().invoke(
        args=["staff", "create", f"new-{role}", "--role", role, "--password-stdin"], input="a long enough password\n"
    )

    assert result.exit_code == 0, result.output
    client = client_for(inbox_app)
    assert login(client, f"new-{role}", "a long enough password").status_code == 303

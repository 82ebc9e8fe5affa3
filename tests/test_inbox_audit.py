"""The audit log as a supervisor reads it: dates, staff, ticket references, collapsed repeats, CSV export."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from sqlalchemy import select

from assistant.inbox.spreadsheet import safe_cell
from assistant.inbox.trail import record
from core.storage.models import AuditEntry, Ticket
from tests.support.inbox import raise_ticket, signed_in

SQLITE_ONLY = pytest.mark.parametrize("storage_url", ["sqlite"], indirect=True)


def add_entries(db, entries) -> None:
    """(staff id, action, ticket id, days ago) in the order they happened."""
    with db.session() as session:
        for staff_id, action, ticket_id, days_ago in entries:
            session.add(
                AuditEntry(
                    staff_id=staff_id,
                    action=action,
                    ticket_id=ticket_id,
                    created_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=days_ago),
                )
            )


def table_body_of(page: str) -> str:
    return page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]


def table_body(response) -> str:
    return table_body_of(response.get_data(as_text=True))


def rows_of(response) -> list[list[str]]:
    body = response.get_data()
    assert body.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_the_audit_log_names_tickets_by_reference_and_collapses_repeats(inbox_app):
    db = inbox_app.extensions["db"]
    ticket = raise_ticket(db, "p1", "booking")
    with db.session() as session:
        reference = session.get(Ticket, ticket).reference
    supervisor, supervisor_id = signed_in(inbox_app, "sue", "supervisor", display_name="Sue Visor")
    anna_id = signed_in(inbox_app, "anna", display_name="Anna Smith")[1]
    add_entries(db, [(anna_id, "open_ticket", ticket, 0)] * 5 + [(anna_id, "reply", ticket, 0), (anna_id, "open_ticket", ticket, 0)])

    body = table_body(supervisor.get(f"/inbox/audit?staff={anna_id}"))

    assert body.count(f">{reference}</a>") == 3  # opened ×5, replied, opened again: three rows
    assert f"#{ticket}<" not in body
    assert body.count("opened a ticket") == 2 and "×5" in body and "replied to the patient" in body


def test_a_deleted_ticket_is_named_as_deleted(inbox_app):
    db = inbox_app.extensions["db"]
    admin, admin_id = signed_in(inbox_app, "root", "admin")
    add_entries(db, [(admin_id, "open_ticket", 999, 0)])

    assert "deleted ticket" in table_body(admin.get("/inbox/audit?action=open_ticket"))


@SQLITE_ONLY
def test_the_date_range_keeps_only_the_days_asked_for(inbox_app):
    db = inbox_app.extensions["db"]
    supervisor, supervisor_id = signed_in(inbox_app, "sue", "supervisor")
    add_entries(db, [(supervisor_id, "search", None, 10), (supervisor_id, "note", None, 3), (supervisor_id, "resolve", None, 0)])
    today = dt.date.today()

    body = table_body(supervisor.get(f"/inbox/audit?from={today - dt.timedelta(days=5)}&to={today - dt.timedelta(days=1)}"))

    assert "added an internal note" in body
    assert "searched the tickets" not in body and "resolved a ticket" not in body


@SQLITE_ONLY
@pytest.mark.parametrize("query", ["from=2026-13-01", "to=yesterday", "from=2026-12-05&to=2026-12-01", "action=drop_table"])
def test_a_malformed_filter_is_refused(inbox_app, query):
    supervisor, _ = signed_in(inbox_app, "sue", "supervisor")
    assert supervisor.get(f"/inbox/audit?{query}").status_code == 400
    assert supervisor.get(f"/inbox/audit.csv?{query}").status_code == 400


def test_the_export_has_the_filtered_rows_and_is_audited(inbox_app):
    db = inbox_app.extensions["db"]
    ticket = raise_ticket(db, "p1", "booking")
    with db.session() as session:
        reference = session.get(Ticket, ticket).reference
    supervisor, supervisor_id = signed_in(inbox_app, "sue", "supervisor")
    anna_id = signed_in(inbox_app, "anna", display_name="Anna Smith")[1]
    add_entries(db, [(anna_id, "open_ticket", ticket, 0)] * 3)

    response = supervisor.get(f"/inbox/audit.csv?staff={anna_id}&action=open_ticket")

    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    header, *rows = rows_of(response)
    assert header[:3] == ["first (UTC)", "last (UTC)", "times"]
    assert [(row[2], row[3], row[6], row[8]) for row in rows] == [("3", "anna", "open_ticket", reference)]
    with db.session() as session:
        exported = session.scalars(select(AuditEntry).where(AuditEntry.action == "export_audit")).one()
    assert exported.staff_id == supervisor_id and "3 entries in 1 rows" in exported.detail and f"staff={anna_id}" in exported.detail


@SQLITE_ONLY
def test_a_cell_that_a_spreadsheet_would_run_is_written_as_text(inbox_app):
    db = inbox_app.extensions["db"]
    supervisor, supervisor_id = signed_in(inbox_app, "sue", "supervisor")
    with db.session() as session:
        record(session, supervisor_id, "login_failed", detail='=HYPERLINK("http://evil.example","click")')

    rows = rows_of(supervisor.get("/inbox/audit.csv?action=login_failed"))

    assert rows[1][-1] == '\'=HYPERLINK("http://evil.example","click")'


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_formula_starts_are_neutralised(value):
    assert safe_cell(value) == "'" + value


def test_plain_cells_are_left_alone():
    assert [safe_cell(v) for v in ("Anna", "3", None, "a=b")] == ["Anna", "3", "", "a=b"]


@SQLITE_ONLY
def test_older_entries_continue_where_the_page_stopped(inbox_app, monkeypatch):
    from assistant.inbox import audit

    monkeypatch.setattr(audit, "PAGE_SIZE", 2)
    db = inbox_app.extensions["db"]
    supervisor, supervisor_id = signed_in(inbox_app, "sue", "supervisor")
    add_entries(db, [(supervisor_id, "note", None, 0), (supervisor_id, "assign", None, 0), (supervisor_id, "resolve", None, 0)])

    page = supervisor.get(f"/inbox/audit?staff={supervisor_id}").get_data(as_text=True)
    first = table_body_of(page)
    assert "resolved a ticket" in first and "assigned a ticket" in first and "added an internal note" not in first
    older = page.split('href="/inbox/audit?before=', 1)[1].split('"', 1)[0].replace("&amp;", "&")

    second = table_body(supervisor.get(f"/inbox/audit?before={older}"))
    assert "added an internal note" in second and "resolved a ticket" not in second

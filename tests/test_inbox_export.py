"""The CSV export of tickets: administrators only, a day range in the department's time zone, audited, cells that a
spreadsheet would run as formulas defused, UTF-8 with a byte order mark."""

from __future__ import annotations

import csv
import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from assistant.inbox.export import day_bounds
from assistant.inbox.spreadsheet import safe_cell
from core.storage.models import AuditEntry
from tests.support.inbox import page_token, raise_ticket, signed_in


def export(client, first: str, last: str):
    token = page_token(client, "/inbox/export")
    return client.post("/inbox/export", data={"csrf_token": token, "first_day": first, "last_day": last})


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+447700900456", "'+447700900456"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("Maria", "Maria"),
        (None, ""),
        ("a=b", "a=b"),
    ],
)
def test_cells_a_spreadsheet_would_run_start_with_an_apostrophe(value, cell):
    assert safe_cell(value) == cell


def test_a_day_range_runs_from_midnight_to_midnight_in_the_departments_time_zone():
    start, end = day_bounds(dt.date(2026, 7, 1), dt.date(2026, 7, 2), ZoneInfo("Europe/Paris"))
    assert (start, end) == (dt.datetime(2026, 6, 30, 22, tzinfo=dt.UTC), dt.datetime(2026, 7, 2, 22, tzinfo=dt.UTC))


def test_an_admin_exports_the_tickets_of_a_day_range_and_the_export_is_audited(inbox_app):
    db = inbox_app.extensions["db"]
    today = dt.datetime.now(ZoneInfo(inbox_app.config["SETTINGS"].site.timezone)).date()
    raise_ticket(db, "p1", "booking", "=cmd|' /C calc'!A0", contact={"name": "Chloé Martin", "method": "+447700900456"})
    raise_ticket(db, "p2", "clinical", "Old one", age=dt.timedelta(days=40))
    client, me = signed_in(inbox_app, "root", "admin")

    response = export(client, today.isoformat(), today.isoformat())
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == f'attachment; filename="tickets-{today}-to-{today}.csv"'
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Reference", "Raised", "Last change"] and len(rows) == 2
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["Type"] == "Booking" and row["Status"] == "Open" and row["Contact name"] == "Chloé Martin"
    assert row["Summary"] == "'=cmd|' /C calc'!A0" and row["Phone or e-mail"] == "'+447700900456"
    with db.session() as session:
        entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "export_tickets"))
    assert (entry.staff_id, entry.detail) == (me, f"{today} to {today}, 1 ticket(s)")


@pytest.mark.parametrize(
    ("first", "last", "message"),
    [
        ("2026-12-05", "2026-12-01", "before the first day"),
        ("2025-01-01", "2026-12-31", "at most 366 days"),
        ("yesterday", "2026-12-01", "Not a valid date"),
    ],
)
def test_a_bad_day_range_is_refused(inbox_app, first, last, message):
    client, _ = signed_in(inbox_app, "root", "admin")
    response = export(client, first, last)
    assert response.status_code == 400 and message in response.get_data(as_text=True)


@pytest.mark.parametrize("role", ["secretariat", "clinician", "curator"])
def test_only_supervisors_and_administrators_export(inbox_app, role):
    supervisor, _ = signed_in(inbox_app, "lead", "supervisor")
    assert supervisor.get("/inbox/export").status_code == 200
    client, _ = signed_in(inbox_app, f"user-{role}", role)
    assert client.get("/inbox/export").status_code == 403
    token = page_token(client, "/inbox/curator/" if role == "curator" else "/inbox/")
    assert client.post("/inbox/export", data={"csrf_token": token, "first_day": "2026-12-01", "last_day": "2026-12-01"}).status_code == 403


def test_an_export_without_its_csrf_token_is_refused(inbox_app):
    client, _ = signed_in(inbox_app, "root", "admin")
    assert client.post("/inbox/export", data={"first_day": "2026-12-01", "last_day": "2026-12-01"}).status_code == 400

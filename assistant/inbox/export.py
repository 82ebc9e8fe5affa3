"""Tickets raised between two days as a CSV file, for administrators (audited: who, which days, how many).

The file is UTF-8 with a byte order mark, so Excel reads accents right, and every cell that a spreadsheet would
run as a formula (starting with = + - @, a tab or a carriage return) starts with an apostrophe instead:
patients write the summaries and contact details.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import render_template
from sqlalchemy import select
from sqlalchemy.orm import aliased

from assistant.inbox.auth import AUDIT_ROLES, current_staff, role_required
from assistant.inbox.blueprint import CHANNEL_LABELS, KIND_LABELS, PRIORITY_LABELS, STATUS_LABELS, as_utc, bp, db, site
from assistant.inbox.forms import ExportForm
from assistant.inbox.spreadsheet import csv_download
from assistant.inbox.trail import record
from core.storage.models import Conversation, StaffUser, Ticket

EXPORT_ROLES = AUDIT_ROLES  # those who read the audit log: supervisors and administrators
COLUMNS = (
    "Reference",
    "Raised",
    "Last change",
    "Type",
    "Priority",
    "Status",
    "Channel",
    "Language",
    "Assigned to",
    "Contact name",
    "Phone or e-mail",
    "Summary",
)


def day_bounds(first: dt.date, last: dt.date, zone: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    """From the start of `first` to the end of `last` in the department's time zone, in UTC (end excluded)."""
    start = dt.datetime.combine(first, dt.time(), zone)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), zone)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


def _contact(ticket: Ticket) -> tuple[str, str]:
    contact = ticket.contact or {}
    reach = contact.get("method") or contact.get("phone") or contact.get("email") or ""
    return str(contact.get("name") or ""), str(reach)


def ticket_rows(session, start: dt.datetime, end: dt.datetime, zone: ZoneInfo) -> list[list]:
    assignee = aliased(StaffUser)
    query = (
        select(Ticket, Conversation.channel, Conversation.language, assignee)
        .join(Conversation, Ticket.conversation_id == Conversation.id)
        .outerjoin(assignee, Ticket.assigned_to_id == assignee.id)
        .where(Ticket.created_at >= start, Ticket.created_at < end)
        .order_by(Ticket.created_at, Ticket.id)
    )

    def local(moment: dt.datetime | None) -> str:
        return as_utc(moment).astimezone(zone).strftime("%Y-%m-%d %H:%M") if moment else ""

    rows = []
    for ticket, channel, language, staff in session.execute(query).all():
        name, reach = _contact(ticket)
        rows.append(
            [
                ticket.reference,
                local(ticket.created_at),
                local(ticket.updated_at),
                KIND_LABELS.get(ticket.kind, ticket.kind),
                PRIORITY_LABELS.get(ticket.priority, ticket.priority),
                STATUS_LABELS.get(ticket.status, ticket.status),
                CHANNEL_LABELS.get(channel, channel),
                language or "",
                (staff.display_name or staff.username) if staff else "",
                name,
                reach,
                ticket.summary,
            ]
        )
    return rows


@bp.get("/export")
@role_required(*EXPORT_ROLES)
def export_page():
    today = dt.datetime.now(ZoneInfo(site().timezone)).date()
    form = ExportForm(formdata=None, first_day=today.replace(day=1), last_day=today)
    return render_template("inbox/export.html", form=form, page_title="Export tickets")


@bp.post("/export")
@role_required(*EXPORT_ROLES)
def export_tickets():
    form = ExportForm()
    if not form.validate_on_submit():
        return render_template("inbox/export.html", form=form, page_title="Export tickets"), 400
    zone = ZoneInfo(site().timezone)
    first, last = form.first_day.data, form.last_day.data
    start, end = day_bounds(first, last, zone)
    with db().session() as session:
        rows = ticket_rows(session, start, end, zone)
        # The file holds patients' contact details: who took it, and for which days, is on record.
        record(session, current_staff().id, "export_tickets", detail=f"{first:%Y-%m-%d} to {last:%Y-%m-%d}, {len(rows)} ticket(s)")
    return csv_download(f"tickets-{first:%Y-%m-%d}-to-{last:%Y-%m-%d}.csv", COLUMNS, rows)

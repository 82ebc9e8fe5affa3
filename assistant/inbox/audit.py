"""The audit log as supervisors and admins read it: filters by date, staff member, action and conversation,
tickets named by their reference, consecutive repeats in one row, and a CSV export (itself audited)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from flask import abort, render_template, request
from sqlalchemy import select

from assistant.inbox.auth import AUDIT_ROLES, ROLE_NAMES, current_staff, role_required
from assistant.inbox.blueprint import as_utc, bp, db, site, whole_number_arg
from assistant.inbox.spreadsheet import csv_download
from assistant.inbox.trail import ACTION_LABELS, record
from core.storage.models import AuditEntry, StaffUser, Ticket

PAGE_SIZE = 100  # rows shown, after repeats are collapsed
RAW_PAGE = 2000  # entries read for one page at most
EXPORT_LIMIT = 50_000  # entries in one export at most; a narrower date range exports the rest
DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@dataclass(frozen=True)
class AuditFilters:
    staff: int | None = None
    conversation: int | None = None
    action: str = ""
    since: dt.date | None = None  # first day shown, in the department's time zone
    until: dt.date | None = None  # last day shown, included

    @classmethod
    def from_args(cls) -> AuditFilters:
        action = request.args.get("action", "").strip()
        if action and action not in ACTION_LABELS:
            abort(400, "unknown action in the filter")
        since, until = _date_arg("from"), _date_arg("to")
        if since and until and since > until:
            abort(400, "the first day is after the last day")
        return cls(_whole_number("staff"), _whole_number("conversation"), action, since, until)

    def args(self) -> dict:
        """The filters as query arguments, for links to other pages of the same selection and to the export."""
        values = {
            "staff": self.staff,
            "conversation": self.conversation,
            "action": self.action or None,
            "from": self.since.isoformat() if self.since else None,
            "to": self.until.isoformat() if self.until else None,
        }
        return {name: value for name, value in values.items() if value is not None}

    def describe(self) -> str:
        """The filters in the words of an audit entry's detail (no patient data)."""
        parts = [f"{name}={value}" for name, value in self.args().items()]
        return "filters: " + (", ".join(parts) if parts else "none")


def _whole_number(name: str) -> int | None:
    return whole_number_arg(name) if request.args.get(name, "").strip() else None


def _date_arg(name: str) -> dt.date | None:
    value = request.args.get(name, "").strip()
    if not value:
        return None
    try:
        if not DATE.fullmatch(value):
            raise ValueError
        return dt.date.fromisoformat(value)
    except ValueError:
        abort(400, f"'{name}' must be a date written YYYY-MM-DD")


def _start_of(day: dt.date) -> dt.datetime:
    """Midnight of `day` in the department's time zone, in UTC (as the log is stored)."""
    return dt.datetime.combine(day, dt.time(), ZoneInfo(site().timezone)).astimezone(dt.UTC)


@dataclass
class AuditRow:
    """One entry, or a run of consecutive entries with the same staff member, action, ticket and conversation."""

    newest: AuditEntry
    who: str
    username: str
    ticket_reference: str | None
    ticket_exists: bool
    count: int = 1
    oldest_at: dt.datetime | None = None

    @property
    def key(self) -> tuple:
        entry = self.newest
        return entry.staff_id, entry.action, entry.ticket_id, entry.conversation_id

    @property
    def label(self) -> str:
        return ACTION_LABELS.get(self.newest.action, self.newest.action)


def _query(filters: AuditFilters):
    query = (
        select(AuditEntry, StaffUser, Ticket.reference)
        .outerjoin(StaffUser, AuditEntry.staff_id == StaffUser.id)
        .outerjoin(Ticket, AuditEntry.ticket_id == Ticket.id)
    )
    if filters.staff is not None:
        query = query.where(AuditEntry.staff_id == filters.staff)
    if filters.conversation is not None:
        query = query.where(AuditEntry.conversation_id == filters.conversation)
    if filters.action:
        query = query.where(AuditEntry.action == filters.action)
    if filters.since is not None:
        query = query.where(AuditEntry.created_at >= _start_of(filters.since))
    if filters.until is not None:
        query = query.where(AuditEntry.created_at < _start_of(filters.until + dt.timedelta(days=1)))
    return query.order_by(AuditEntry.id.desc())


def _who(entry: AuditEntry, user: StaffUser | None) -> str:
    if user is not None:
        return user.display_name or user.username
    return "system" if entry.staff_id is None else "deleted account"


def collapse(entries, limit: int | None = None) -> tuple[list[AuditRow], int | None]:
    """Rows from (entry, staff, ticket reference) tuples, newest first, each run of repeats in one row; at most
    `limit` rows. Also the id of the last entry shown when entries were left for a further page, else None."""
    rows: list[AuditRow] = []
    last_shown = None
    for entry, user, reference in entries:
        row = AuditRow(entry, _who(entry, user), user.username if user else "", reference, reference is not None)
        if rows and rows[-1].key == row.key:
            rows[-1].count += 1
            rows[-1].oldest_at = entry.created_at
        elif limit is not None and len(rows) == limit:
            return rows, last_shown
        else:
            rows.append(row)
        last_shown = entry.id
    return rows, None


@bp.get("/audit")
@role_required(*AUDIT_ROLES)
def audit_log():
    filters = AuditFilters.from_args()
    before = _whole_number("before")
    with db().session() as session:
        query = _query(filters)
        if before is not None:
            query = query.where(AuditEntry.id < before)
        entries = session.execute(query.limit(RAW_PAGE)).all()
        rows, older = collapse(entries, PAGE_SIZE)
        if older is None and len(entries) == RAW_PAGE:
            older = entries[-1][0].id
        colleagues = list(session.scalars(select(StaffUser).order_by(StaffUser.username)))
        record(session, current_staff().id, "view_audit")
    return render_template(
        "inbox/audit.html",
        rows=rows,
        colleagues=colleagues,
        action_labels=ACTION_LABELS,
        filters=filters,
        older=older,
    )


EXPORT_HEADER = (
    "first (UTC)",
    "last (UTC)",
    "times",
    "staff user name",
    "staff name",
    "role",
    "action",
    "what",
    "ticket",
    "conversation",
    "detail",
)


@bp.get("/audit.csv")
@role_required(*AUDIT_ROLES)
def audit_export():
    filters = AuditFilters.from_args()
    with db().session() as session:
        entries = session.execute(_query(filters).limit(EXPORT_LIMIT)).all()
        rows, _ = collapse(entries)
        roles = dict(session.execute(select(StaffUser.id, StaffUser.role)).all())
        detail = f"{len(entries)} entries in {len(rows)} rows; {filters.describe()}"
        if len(entries) == EXPORT_LIMIT:
            detail += f"; stopped at {EXPORT_LIMIT} entries"
        record(session, current_staff().id, "export_audit", detail=detail)

    def cells(row: AuditRow):
        entry = row.newest
        return (
            as_utc(row.oldest_at or entry.created_at).isoformat(timespec="seconds"),
            as_utc(entry.created_at).isoformat(timespec="seconds"),
            row.count,
            row.username,
            row.who,
            ROLE_NAMES.get(roles.get(entry.staff_id, ""), ""),
            entry.action,
            row.label,
            row.ticket_reference or (f"deleted ticket {entry.ticket_id}" if entry.ticket_id else ""),
            entry.conversation_id or "",
            entry.detail,
        )

    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M")
    return csv_download(f"audit-log-{stamp}.csv", EXPORT_HEADER, (cells(row) for row in rows))

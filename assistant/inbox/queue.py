"""The queue: open tickets, most urgent first and then the newest nobody has started on, with filters and counts,
and the JSON the page polls so a new urgent ticket shows up without reloading."""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask import abort, jsonify, render_template, request, url_for
from sqlalchemy import case, func, select
from sqlalchemy.orm import aliased

from assistant.inbox import alerts
from assistant.inbox.auth import WORK_ROLES, current_staff, role_required
from assistant.inbox.blueprint import (
    CHANNEL_LABELS,
    KIND_LABELS,
    bp,
    db,
    iso,
    language_label,
    language_parts,
    local_time,
    waiting_for,
    whole_number_arg,
)
from assistant.inbox.trail import record
from core.storage import search
from core.storage.models import Conversation, StaffUser, Ticket, TicketEvent
from core.storage.tickets import KINDS, PRIORITIES, REPEATED_RED_FLAG

STATUS_FILTERS = {
    "active": ("open", "in_progress"),
    "open": ("open",),
    "in_progress": ("in_progress",),
    "resolved": ("resolved",),
    "all": ("open", "in_progress", "resolved"),
}
STATUS_FILTER_LABELS = {
    "active": "Open or in progress",
    "open": "Open",
    "in_progress": "In progress",
    "resolved": "Resolved",
    "all": "Any status",
}
MAX_SEARCH = 200
CHANNEL = re.compile(r"^[a-z0-9_]{1,20}$")
MAX_ROWS = 300
SUMMARY_PREVIEW = 160

# Tickets nobody has started on (open) before those someone is handling (in progress), then resolved ones.
_UNHANDLED_FIRST = case({"open": 0, "in_progress": 1}, value=Ticket.status, else_=2)
_KIND_ORDER = case({kind: position for position, kind in enumerate(KINDS)}, value=Ticket.kind, else_=len(KINDS))
_PRIORITY_ORDER = case({priority: position for position, priority in enumerate(PRIORITIES)}, value=Ticket.priority, else_=len(PRIORITIES))
_assignee = aliased(StaffUser)
_holder = aliased(StaffUser)


@dataclass(frozen=True)
class Filters:
    status: str = "active"
    kind: str = ""
    channel: str = ""
    assignee: str = ""  # "", "me", "none" or a staff id
    q: str = ""  # search words (core/storage/search.py)

    @classmethod
    def from_args(cls, args) -> Filters:
        filters = cls(
            **{
                name: args.get(name, default).strip()
                for name, default in (("status", "active"), ("kind", ""), ("channel", ""), ("assignee", ""), ("q", ""))
            }
        )
        if filters.status not in STATUS_FILTERS:
            abort(400, f"unknown status filter; use one of: {', '.join(STATUS_FILTERS)}")
        if filters.kind and filters.kind not in KINDS:
            abort(400, f"unknown ticket type; use one of: {', '.join(KINDS)}")
        if filters.channel and not CHANNEL.match(filters.channel):
            abort(400, "the channel filter must be a channel name such as web or sms")
        if filters.assignee not in ("", "me", "none") and not (filters.assignee.isdigit() and len(filters.assignee) < 12):
            abort(400, "the assignee filter must be me, none or a staff member")
        if len(filters.q) > MAX_SEARCH:
            abort(400, f"a search is at most {MAX_SEARCH} characters")
        return filters

    @property
    def shows_new_urgent(self) -> bool:
        """Whether a newly raised urgent ticket belongs on the page as filtered."""
        return (
            self.kind in ("", "urgent")
            and "open" in STATUS_FILTERS[self.status]
            and self.assignee in ("", "none")
            and self.channel == ""
            and self.q == ""
        )

    def query_args(self, **changes) -> dict[str, str]:
        """These filters as query arguments (the empty ones left out), for links and the page's poll."""
        values = {"status": self.status, "kind": self.kind, "channel": self.channel, "assignee": self.assignee, "q": self.q}
        values.update(changes)
        return {name: value for name, value in values.items() if value}


@dataclass(frozen=True)
class QueueRow:
    id: int
    reference: str
    kind: str
    priority: str
    status: str
    summary: str
    contact_name: str
    channel: str
    language: str  # the conversation's, ISO 639-1; "" until one is known
    created_at: object
    assigned_to: str
    taken_over_by: str

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "reference": self.reference,
            "kind": self.kind,
            "kind_label": KIND_LABELS[self.kind],
            "priority": self.priority,
            "status": self.status,
            "summary": self.summary,
            "contact_name": self.contact_name,
            "channel": self.channel,
            "channel_label": CHANNEL_LABELS.get(self.channel, self.channel),
            "language": self.language,
            "language_label": language_label(self.language),
            "language_name": language_parts(self.language)[1],
            "created_at": iso(self.created_at),
            "created_text": local_time(self.created_at),
            "waiting": waiting_for(self.created_at),
            "assigned_to": self.assigned_to,
            "taken_over_by": self.taken_over_by,
            "url": url_for("inbox.ticket", ticket_id=self.id),
        }


def _filtered(session, query, filters: Filters, me: int, *, with_kind: bool = True):
    query = query.where(Ticket.status.in_(STATUS_FILTERS[filters.status]))
    if filters.q:
        query = query.where(search.matching(filters.q, session.get_bind().dialect))
    if with_kind and filters.kind:
        query = query.where(Ticket.kind == filters.kind)
    if filters.channel:
        query = query.where(Conversation.channel == filters.channel)
    if filters.assignee == "me":
        query = query.where(Ticket.assigned_to_id == me)
    elif filters.assignee == "none":
        query = query.where(Ticket.assigned_to_id.is_(None))
    elif filters.assignee:
        query = query.where(Ticket.assigned_to_id == int(filters.assignee))
    return query


def _name(user: StaffUser | None) -> str:
    return (user.display_name or user.username) if user else ""


def _preview(text: str) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= SUMMARY_PREVIEW else text[: SUMMARY_PREVIEW - 1] + "…"


def _rows(session, query) -> list[QueueRow]:
    return [
        QueueRow(
            id=t.id,
            reference=t.reference,
            kind=t.kind,
            priority=t.priority,
            status=t.status,
            summary=_preview(t.summary),
            contact_name=str((t.contact or {}).get("name") or ""),
            channel=channel,
            language=language or "",
            created_at=t.created_at,
            assigned_to=_name(assignee),
            taken_over_by=_name(holder),
        )
        for t, channel, language, assignee, holder in session.execute(query).all()
    ]


def _row_query():
    return (
        select(Ticket, Conversation.channel, Conversation.language, _assignee, _holder)
        .join(Conversation, Ticket.conversation_id == Conversation.id)
        .outerjoin(_assignee, Ticket.assigned_to_id == _assignee.id)
        .outerjoin(_holder, Conversation.taken_over_by_id == _holder.id)
    )


def queue_rows(session, filters: Filters, me: int, limit: int = MAX_ROWS) -> list[QueueRow]:
    """Urgency first: high priority (urgent tickets start high), then the most urgent kind (urgent, clinical,
    booking, administrative). Within each, the tickets nobody has started on, newest first, so a new urgent
    ticket is the first row the moment it arrives; then the ones in progress, newest first. (The secretariat's
    choice, issue #24: oldest first put a new emergency below every older one still open.)"""
    order = (_PRIORITY_ORDER, _KIND_ORDER, _UNHANDLED_FIRST, Ticket.created_at.desc(), Ticket.id.desc())
    query = _filtered(session, _row_query(), filters, me).order_by(*order).limit(limit)
    return _rows(session, query)


def counts_per_kind(session, filters: Filters, me: int) -> dict[str, int]:
    """Every count the inbox shows comes from here: the tickets per type under the page's filters (the type filter
    aside, so every type shows its number), and the header's urgent count (urgent_count)."""
    query = select(Ticket.kind, func.count(Ticket.id)).join(Conversation, Ticket.conversation_id == Conversation.id)
    counted = dict(session.execute(_filtered(session, query, filters, me, with_kind=False).group_by(Ticket.kind)).all())
    return {kind: counted.get(kind, 0) for kind in KINDS}


# The header's count is the queue's own Urgent count with the default filters: urgent tickets not resolved yet, open
# or in progress, on every channel, whoever has them. (It once counted only "open" ones, beside an Urgent filter
# counting open and in progress: "126 urgent open" next to "127 Urgent" while one was being handled.)
HEADER_FILTERS = Filters()


def urgent_count(session) -> int:
    return counts_per_kind(session, HEADER_FILTERS, me=0)["urgent"]


def latest_ticket_id(session) -> int:
    return session.scalar(select(func.max(Ticket.id))) or 0


def latest_alert_id(session) -> int:
    """The newest "emergency again" event: where the page starts watching for repeated red flags."""
    return session.scalar(select(func.max(TicketEvent.id)).where(TicketEvent.action == REPEATED_RED_FLAG)) or 0


@bp.context_processor
def _urgent_state():
    """Every page of those who work tickets shows the urgent count (tab title, counter) and where live updates start."""
    staff = current_staff()
    if staff is None or staff.role not in WORK_ROLES:
        return {}
    with db().session() as session:
        return {
            "urgent_count": urgent_count(session),
            "latest_ticket": latest_ticket_id(session),
            "latest_alert": latest_alert_id(session),
            "latest_message": alerts.latest_message_id(session),
        }


@bp.get("/")
@role_required(*WORK_ROLES)
def queue():
    filters = Filters.from_args(request.args)
    me = current_staff().id
    with db().session() as session:
        rows = queue_rows(session, filters, me, MAX_ROWS + 1)
        counts = counts_per_kind(session, filters, me)
        if filters.q:
            # A search reads every conversation's text: audited, without the words (the log keeps no patient data).
            record(session, me, "search", detail=f"{len(search.words(filters.q))} word(s), {sum(counts.values())} ticket(s) found")
        channels = sorted(set(CHANNEL_LABELS) | set(session.scalars(select(Conversation.channel).distinct())))
        colleagues = list(
            session.scalars(
                select(StaffUser).where(StaffUser.active.is_(True), StaffUser.role.in_(WORK_ROLES)).order_by(StaffUser.username)
            )
        )
    return render_template(
        "inbox/queue.html",
        rows=rows[:MAX_ROWS],
        more=len(rows) > MAX_ROWS,
        counts=counts,
        filters=filters,
        channels=channels,
        colleagues=colleagues,
        status_labels=STATUS_FILTER_LABELS,
        base_title="Inbox",
    )


@bp.get("/api/urgent")
@role_required(*WORK_ROLES)
def urgent_poll():
    """Urgent tickets raised after ticket id `after` that nobody has started on, and how many are not resolved
    (the header's count); with `alerts_after` (an event id), the unresolved urgent tickets whose patient sent
    another emergency message since, each with that message, newest event last; with `counts=1` and the queue
    page's filters, the counts per type the page shows, from the same function as the page's; with `replies_after`
    (a message id), the patients' messages since in the conversations the caller holds (alerts.patient_replies)."""
    after = whole_number_arg("after", "0")
    alerts_after = whole_number_arg("alerts_after")
    replies_after = whole_number_arg("replies_after")
    filters = Filters.from_args(request.args) if request.args.get("counts") == "1" else None
    with db().session() as session:
        query = _row_query().where(Ticket.kind == "urgent", Ticket.status == "open", Ticket.id > after).order_by(Ticket.id).limit(50)
        new = _rows(session, query)
        newer_other = session.scalar(select(func.count(Ticket.id)).where(Ticket.id > after, Ticket.kind != "urgent")) or 0
        body = {
            "urgent_count": urgent_count(session),
            "latest_ticket": latest_ticket_id(session),
            "latest_alert": latest_alert_id(session),
            "new_urgent": [row.to_json() for row in new],
            "new_other": newer_other,
        }
        if filters is not None:
            body["counts"] = counts_per_kind(session, filters, current_staff().id)
        if alerts_after is not None:
            body["repeated_urgent"] = _repeated_urgent(session, alerts_after)
        if replies_after is not None:
            body["patient_replies"] = alerts.patient_replies(session, current_staff().id, replies_after)
            body["latest_message"] = alerts.latest_message_id(session)
        return jsonify(body)


def _repeated_urgent(session, alerts_after: int) -> list[dict]:
    events = session.execute(
        select(TicketEvent.ticket_id, func.max(TicketEvent.id))
        .join(Ticket, TicketEvent.ticket_id == Ticket.id)
        .where(TicketEvent.action == REPEATED_RED_FLAG, TicketEvent.id > alerts_after, Ticket.kind == "urgent", Ticket.status != "resolved")
        .group_by(TicketEvent.ticket_id)
        .limit(50)
    ).all()
    latest = dict(events)
    if not latest:
        return []
    texts = dict(session.execute(select(TicketEvent.id, TicketEvent.detail).where(TicketEvent.id.in_(latest.values()))).all())
    rows = _rows(session, _row_query().where(Ticket.id.in_(latest)))
    repeated = [{**row.to_json(), "alert_id": latest[row.id], "latest_message": texts[latest[row.id]]} for row in rows]
    return sorted(repeated, key=lambda row: row["alert_id"])

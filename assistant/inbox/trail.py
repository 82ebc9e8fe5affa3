"""Writing the audit log: who opened which conversation and what they did.

Entries never hold what a patient wrote or what staff replied: only who,
what, when and which conversation or ticket, so the log can outlive the
conversations under the retention rules.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from core.storage.models import AuditEntry, utcnow

# Reading a conversation (its page, or the page's poll for new messages) is audited once per staff member and
# ticket in this window: the page polls every few seconds, and a row per poll would bury everything else.
READ_WINDOW = dt.timedelta(minutes=10)
READ_ACTIONS = ("open_ticket", "read_messages")

ACTION_LABELS = {
    "login": "signed in",
    "login_failed": "failed to sign in",
    "logout": "signed out",
    "open_ticket": "opened a ticket",
    "read_messages": "read a ticket's conversation (page update)",
    "take_over": "took over a conversation",
    "hand_back": "handed back to the assistant",
    "reply": "replied to the patient",
    "note": "added an internal note",
    "assign": "assigned a ticket",
    "resolve": "resolved a ticket",
    "reopen": "reopened a ticket",
    "reclassify": "changed a ticket's type or priority",
    "view_audit": "read the audit log",
    "export_audit": "exported the audit log (CSV)",
    "view_curation": "read the curator console",
    "read_conversation": "read a conversation (curator console)",
    "triage_feedback": "marked a thumbs-down answer",
    "export_curation": "exported curation data (CSV)",
    "search": "searched the tickets",
    "saved_reply_create": "added a saved reply",
    "saved_reply_update": "changed a saved reply",
    "saved_reply_delete": "deleted a saved reply",
    "export_tickets": "exported tickets (CSV)",
    "retention_purge": "retention: old data removed",
    "retention_forget": "retention: one patient's data deleted",
    "staff_create": "staff account created",
    "staff_deactivate": "staff account deactivated",
    "staff_activate": "staff account reactivated",
    "staff_password": "staff password changed",
}


def record(
    session, staff_id: int | None, action: str, *, conversation_id: int | None = None, ticket_id: int | None = None, detail: str = ""
) -> None:
    """Add an entry to the caller's unit of work (committed with what it describes)."""
    session.add(AuditEntry(staff_id=staff_id, action=action, conversation_id=conversation_id, ticket_id=ticket_id, detail=detail[:500]))


def record_read(session, staff_id: int, action: str, *, conversation_id: int, ticket_id: int) -> None:
    """Audit a read of a patient's conversation, unless the same person read the same ticket within READ_WINDOW."""
    recent = session.scalar(
        select(AuditEntry.id)
        .where(
            AuditEntry.staff_id == staff_id,
            AuditEntry.ticket_id == ticket_id,
            AuditEntry.action.in_(READ_ACTIONS),
            AuditEntry.created_at >= utcnow() - READ_WINDOW,
        )
        .limit(1)
    )
    if recent is None:
        record(session, staff_id, action, conversation_id=conversation_id, ticket_id=ticket_id)


def record_conversation_read(session, staff_id: int, conversation_id: int) -> None:
    """Audit a curator's read of a conversation, unless the same person read it within READ_WINDOW."""
    recent = session.scalar(
        select(AuditEntry.id)
        .where(
            AuditEntry.staff_id == staff_id,
            AuditEntry.conversation_id == conversation_id,
            AuditEntry.action == "read_conversation",
            AuditEntry.created_at >= utcnow() - READ_WINDOW,
        )
        .limit(1)
    )
    if recent is None:
        record(session, staff_id, "read_conversation", conversation_id=conversation_id)

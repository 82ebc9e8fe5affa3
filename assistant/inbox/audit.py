"""The admin page that reads the audit log (written through assistant.inbox.trail)."""

from __future__ import annotations

from flask import abort, render_template, request
from sqlalchemy import select

from assistant.inbox.auth import current_staff, role_required
from assistant.inbox.blueprint import bp, db, whole_number_arg
from assistant.inbox.trail import ACTION_LABELS, record
from core.storage.models import AuditEntry, StaffUser

PAGE_SIZE = 100


def _whole_number(name: str) -> int | None:
    return whole_number_arg(name) if request.args.get(name, "").strip() else None


@bp.get("/audit")
@role_required("admin")
def audit_log():
    staff_filter, conversation_filter, before = (_whole_number(n) for n in ("staff", "conversation", "before"))
    action_filter = request.args.get("action", "").strip()
    if action_filter and action_filter not in ACTION_LABELS:
        abort(400, "unknown action in the filter")
    with db().session() as session:
        query = select(AuditEntry, StaffUser).outerjoin(StaffUser, AuditEntry.staff_id == StaffUser.id)
        if staff_filter is not None:
            query = query.where(AuditEntry.staff_id == staff_filter)
        if conversation_filter is not None:
            query = query.where(AuditEntry.conversation_id == conversation_filter)
        if action_filter:
            query = query.where(AuditEntry.action == action_filter)
        if before is not None:
            query = query.where(AuditEntry.id < before)
        rows = session.execute(query.order_by(AuditEntry.id.desc()).limit(PAGE_SIZE + 1)).all()
        colleagues = list(session.scalars(select(StaffUser).order_by(StaffUser.username)))
        record(session, current_staff().id, "view_audit")
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    return render_template(
        "inbox/audit.html",
        rows=rows,
        colleagues=colleagues,
        action_labels=ACTION_LABELS,
        filters={"staff": staff_filter, "conversation": conversation_filter, "action": action_filter},
        older=rows[-1][0].id if more and rows else None,
    )

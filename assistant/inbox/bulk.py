"""The queue's bulk actions: resolve or assign the selected tickets in one step (CSRF-checked, each ticket audited)."""

from __future__ import annotations

from collections.abc import Callable

from flask import flash, redirect, request, url_for
from werkzeug.wrappers import Response

from assistant.inbox import operations
from assistant.inbox.auth import WORK_ROLES, current_staff, role_required
from assistant.inbox.blueprint import WHOLE_NUMBER, bp, db
from assistant.inbox.queue import MAX_ROWS, Filters


def selected_ticket_ids(values: list[str]) -> list[int] | None:
    """The ticket ids the form sent, or None when one is not an id or there are more than the queue shows."""
    if len(values) > MAX_ROWS or not all(WHOLE_NUMBER.fullmatch(value) for value in values):
        return None
    return sorted({int(value) for value in values})


def _selected_then(action: str, apply: Callable[[list[int]], operations.Outcome]) -> Response:
    """Run `apply(ids)` on the tickets the queue's form selected, flash its outcome, and go back to the queue as it
    was filtered (the filters are checked as the queue checks them)."""
    back = url_for("inbox.queue", **Filters.from_args(request.form).query_args())
    ids = selected_ticket_ids(request.form.getlist("ticket"))
    if ids is None:  # the form's token was checked by the inbox's CSRFProtect before this view ran
        flash("The selection could not be read. Reload the queue and select the tickets again.", "error")
    elif not ids:
        flash(f"Select the tickets to {action} first (the boxes at the start of each row).", "error")
    else:
        try:
            outcome = apply(ids)
            flash(outcome.message, outcome.category)
        except operations.Refused as refusal:
            flash(str(refusal), "error")
    return redirect(back, code=303)


@bp.post("/tickets/resolve")
@role_required(*WORK_ROLES)
def resolve_selected():
    return _selected_then("resolve", lambda ids: operations.resolve_many(db(), ids, current_staff().id))


@bp.post("/tickets/assign")
@role_required(*WORK_ROLES)
def assign_selected():
    """`assign_to`: a colleague's id, or "none" to unassign."""
    assignee = request.form.get("assign_to", "").strip()
    chosen = assignee == "none" or (WHOLE_NUMBER.fullmatch(assignee) is not None and len(assignee) < 12)
    assignee_id = int(assignee) if chosen and assignee != "none" else None

    def apply(ids: list[int]) -> operations.Outcome:
        if not chosen:
            raise operations.Refused("Choose whom to assign them to.")
        return operations.assign_many(db(), ids, current_staff().id, assignee_id)

    return _selected_then("assign", apply)

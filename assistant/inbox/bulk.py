"""The queue's bulk action: resolve the selected tickets in one step (CSRF-checked, each ticket audited)."""

from __future__ import annotations

from flask import flash, redirect, request, url_for

from assistant.inbox import operations
from assistant.inbox.auth import WORK_ROLES, current_staff, role_required
from assistant.inbox.blueprint import WHOLE_NUMBER, bp, db
from assistant.inbox.forms import ActionForm
from assistant.inbox.queue import MAX_ROWS, Filters


def selected_ticket_ids(values: list[str]) -> list[int] | None:
    """The ticket ids the form sent, or None when one is not an id or there are more than the queue shows."""
    if len(values) > MAX_ROWS or not all(WHOLE_NUMBER.fullmatch(value) for value in values):
        return None
    return sorted({int(value) for value in values})


@bp.post("/tickets/resolve")
@role_required(*WORK_ROLES)
def resolve_selected():
    form = ActionForm()
    # Back to the queue as it was filtered (the filters are checked as the queue checks them).
    back = url_for("inbox.queue", **Filters.from_args(request.form).query_args())
    ids = selected_ticket_ids(request.form.getlist("ticket"))
    if not form.validate_on_submit() or ids is None:
        flash("The selection could not be read. Reload the queue and select the tickets again.", "error")
    elif not ids:
        flash("Select the tickets to resolve first (the boxes at the start of each row).", "error")
    else:
        try:
            outcome = operations.resolve_many(db(), ids, current_staff().id)
            flash(outcome.message, outcome.category)
        except operations.Refused as refusal:
            flash(str(refusal), "error")
    return redirect(back, code=303)

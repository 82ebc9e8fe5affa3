"""Saved views: a queue filter (type, status, channel, assignee, search words) that a member of staff names and
keeps, shown as a link above their queue. Each person's own: nobody sees or changes another's. The inbox's
CSRFProtect checks every form's token before these views run."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import flash, redirect, request, url_for
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from assistant.inbox.auth import WORK_ROLES, current_staff, role_required
from assistant.inbox.blueprint import bp, db
from assistant.inbox.queue import Filters
from core.storage.models import SavedView

MAX_VIEWS = 20  # per person: links above the queue, not a second queue
MAX_NAME = 60


def views_of(session, staff_id: int) -> list[SavedView]:
    return list(session.scalars(select(SavedView).where(SavedView.staff_id == staff_id).order_by(SavedView.name)))


def view_url(view: SavedView) -> str:
    return url_for("inbox.queue") + (f"?{view.query}" if view.query else "")


@bp.post("/views")
@role_required(*WORK_ROLES)
def save_view() -> Response:
    """Keep the filters the form carries under a name; the same name again replaces that view's filters."""
    filters = Filters.from_args(request.form)  # checked as the queue checks them (400 on a bad one)
    back = url_for("inbox.queue", **filters.query_args())
    name = " ".join(request.form.get("name", "").split())
    if not name or len(name) > MAX_NAME:
        flash(f"Give the view a name of 1 to {MAX_NAME} characters.", "error")
        return redirect(back, code=303)
    staff_id = current_staff().id
    query = urlencode(filters.query_args())
    with db().session() as session:
        view = session.scalar(select(SavedView).where(SavedView.staff_id == staff_id, SavedView.name == name))
        if view is not None:
            view.query = query
            flash(f"View “{name}” now shows these filters.", "success")
        elif session.scalar(select(func.count()).where(SavedView.staff_id == staff_id)) >= MAX_VIEWS:
            flash(f"You have {MAX_VIEWS} saved views already: delete one first.", "error")
        else:
            session.add(SavedView(staff_id=staff_id, name=name, query=query))
            flash(f"View “{name}” saved above the queue.", "success")
    return redirect(back, code=303)


@bp.post("/views/<id:view_id>/delete")
@role_required(*WORK_ROLES)
def delete_view(view_id: int) -> Response:
    with db().session() as session:
        view = session.get(SavedView, view_id)
        if view is None or view.staff_id != current_staff().id:
            flash("That view does not exist (any more).", "error")
        else:
            session.delete(view)
            flash(f"View “{view.name}” deleted.", "success")
    return redirect(url_for("inbox.queue"), code=303)


@bp.context_processor
def _saved_views() -> dict:
    """The queue page's saved views, as (name, link, id), for its list above the filters."""
    staff = current_staff()
    if request.endpoint != "inbox.queue" or staff is None or staff.role not in WORK_ROLES:
        return {}
    with db().session() as session:
        return {"saved_views": [(view.name, view_url(view), view.id) for view in views_of(session, staff.id)]}

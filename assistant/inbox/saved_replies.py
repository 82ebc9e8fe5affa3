"""Saved replies: texts the department writes once, per language, that staff insert in a reply by typing "/".

Editors (EDITOR_ROLES) add, change and delete them on one page; everyone who works tickets reads them through
the JSON the reply box asks for. Every change is audited with the shortcut and language, never the text.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from assistant.inbox.auth import WORK_ROLES, current_staff, role_required
from assistant.inbox.blueprint import bp, db, language_label, messages
from assistant.inbox.forms import ActionForm, SavedReplyForm
from assistant.inbox.trail import record
from core.storage.models import SavedReply, StaffUser

# Who edits the department's saved replies: administrators, and supervisors where that role exists.
EDITOR_ROLES = ("supervisor", "admin")


@dataclass(frozen=True)
class Choice:
    """One saved reply as the reply box lists it."""

    id: int
    shortcut: str
    language: str
    body: str

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "shortcut": self.shortcut,
            "language": self.language,
            "language_label": language_label(self.language),
            "body": self.body,
        }


def in_reply_order(replies: list[Choice], language: str | None) -> list[Choice]:
    """The conversation's language first, then the others; by language, then shortcut, within each."""
    return sorted(replies, key=lambda reply: (reply.language != language, reply.language, reply.shortcut))


def _language_choices() -> list[tuple[str, str]]:
    return [(code, language_label(code)) for code in sorted(messages().catalogs)]


def _form(**values) -> SavedReplyForm:
    form = SavedReplyForm(**values)
    form.language.choices = _language_choices()
    return form


def _page(form: SavedReplyForm, editing: SavedReply | None = None, status: int = 200):
    with db().session() as session:
        rows = session.execute(
            select(SavedReply, StaffUser)
            .outerjoin(StaffUser, SavedReply.updated_by_id == StaffUser.id)
            .order_by(SavedReply.language, SavedReply.shortcut)
        ).all()
    return render_template(
        "inbox/saved_replies.html",
        rows=rows,
        form=form,
        editing=editing,
        page_title="Saved replies",
    ), status


def _taken(session, language: str, shortcut: str, other_than: int | None = None) -> bool:
    query = select(SavedReply.id).where(SavedReply.language == language, SavedReply.shortcut == shortcut)
    if other_than is not None:
        query = query.where(SavedReply.id != other_than)
    return session.scalar(query) is not None


def _duplicate(form: SavedReplyForm, editing: SavedReply | None = None):
    form.shortcut.errors = [f"/{form.shortcut.data} already exists in {language_label(form.language.data)}: choose another shortcut."]
    return _page(form, editing, 409)


@bp.context_processor
def _saved_replies_link():
    staff = current_staff()
    return {"edits_saved_replies": staff is not None and staff.role in EDITOR_ROLES}


@bp.get("/saved-replies")
@role_required(*EDITOR_ROLES)
def saved_replies():
    editing = None
    edit_id = request.args.get("edit", "")
    if edit_id:
        if not edit_id.isascii() or not edit_id.isdigit() or len(edit_id) > 12:
            abort(400, "'edit' must be a saved reply's number")
        with db().session() as session:
            editing = session.get(SavedReply, int(edit_id))
        if editing is None:
            abort(404)
        return _page(_form(language=editing.language, shortcut=editing.shortcut, body=editing.body), editing)
    return _page(_form(language="en"))


@bp.post("/saved-replies")
@role_required(*EDITOR_ROLES)
def add_saved_reply():
    form = _form()
    if not form.validate_on_submit():
        return _page(form, status=400)
    me = current_staff().id
    try:
        with db().session() as session:
            if _taken(session, form.language.data, form.shortcut.data):
                return _duplicate(form)
            session.add(SavedReply(language=form.language.data, shortcut=form.shortcut.data, body=form.body.data, updated_by_id=me))
            record(session, me, "saved_reply_create", detail=f"/{form.shortcut.data} ({form.language.data})")
    except IntegrityError:  # a colleague saved the same shortcut at the same moment
        return _duplicate(form)
    flash(f"Saved reply /{form.shortcut.data} added.", "success")
    return redirect(url_for("inbox.saved_replies"), code=303)


@bp.post("/saved-replies/<id:reply_id>")
@role_required(*EDITOR_ROLES)
def change_saved_reply(reply_id: int):
    form = _form()
    me = current_staff().id
    with db().session() as session:
        editing = session.get(SavedReply, reply_id)
    if editing is None:
        abort(404)
    if not form.validate_on_submit():
        return _page(form, editing, 400)
    try:
        with db().session() as session:
            if _taken(session, form.language.data, form.shortcut.data, other_than=reply_id):
                return _duplicate(form, editing)
            saved = session.get(SavedReply, reply_id)
            if saved is None:
                abort(404)
            saved.language, saved.shortcut, saved.body, saved.updated_by_id = form.language.data, form.shortcut.data, form.body.data, me
            record(session, me, "saved_reply_update", detail=f"/{form.shortcut.data} ({form.language.data})")
    except IntegrityError:
        return _duplicate(form, editing)
    flash(f"Saved reply /{form.shortcut.data} changed.", "success")
    return redirect(url_for("inbox.saved_replies"), code=303)


@bp.post("/saved-replies/<id:reply_id>/delete")
@role_required(*EDITOR_ROLES)
def delete_saved_reply(reply_id: int):
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400, "the form was not sent from the saved replies page")
    with db().session() as session:
        saved = session.get(SavedReply, reply_id)
        if saved is None:
            abort(404)
        detail = f"/{saved.shortcut} ({saved.language})"
        session.delete(saved)
        record(session, current_staff().id, "saved_reply_delete", detail=detail)
    flash(f"Saved reply {detail} deleted.", "success")
    return redirect(url_for("inbox.saved_replies"), code=303)


@bp.get("/api/saved-replies")
@role_required(*WORK_ROLES)
def saved_replies_json():
    """Every saved reply, the conversation's language (`language`) first, for the reply box's "/" list."""
    language = request.args.get("language", "").strip()
    if language and not messages().has(language):
        abort(400, "unknown language")
    with db().session() as session:
        replies = [Choice(r.id, r.shortcut, r.language, r.body) for r in session.scalars(select(SavedReply))]
    return jsonify({"replies": [reply.to_json() for reply in in_reply_order(replies, language or None)]})

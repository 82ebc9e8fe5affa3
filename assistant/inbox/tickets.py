"""The ticket page (conversation, contact details, what the assistant understood, notes, history)
and the staff actions on it: take over, reply, hand back, resolve, reopen, assign, change type or priority, note."""

from __future__ import annotations

from flask import abort, flash, jsonify, redirect, render_template, url_for
from sqlalchemy import select

from assistant.inbox import operations
from assistant.inbox.auth import WORK_ROLES, current_staff, role_required
from assistant.inbox.blueprint import (
    CHANNEL_LABELS,
    KIND_LABELS,
    PRIORITY_LABELS,
    ROLE_LABELS,
    bp,
    db,
    iso,
    language_parts,
    local_time,
    messages,
    senders,
    site,
    whole_number_arg,
)
from assistant.inbox.contacts import contact_history
from assistant.inbox.forms import ActionForm, AssignForm, NoteForm, ReclassifyForm, ReplyForm, ResolveForm, TakeOverForm
from assistant.inbox.trail import record_read
from core.storage.conversations import RESEND
from core.storage.models import Message, StaffUser, Ticket, TicketEvent

EVENT_LABELS = {
    "created": "Ticket raised",
    "status": "Status changed",
    "take_over": "Took over",
    "hand_back": "Handed back",
    "patient_told": "Patient told",
    "reply": "Replied",
    "note": "Internal note",
    "assign": "Assignment",
    "reopened": "Reopened",
    "reclassify": "Type or priority changed",
    "red_flag_again": "Another emergency message",
    "patient_deleted": "The patient deleted the conversation",
}


# Buttons whose payload may be sent without an assistant message offering them just before (the widget's own
# "Talk to a person"; a yes/no typed as a number over SMS): the catalog key of the title the patient saw.
BUTTON_TITLE_KEYS = {"/request_human": "button_talk_to_person", "/affirm": "button_yes", "/deny": "button_no"}


def button_titles(conversation: list[Message]) -> dict[int, str]:
    """{message id: the title of the button the patient pressed} for the patient's messages that are a button's
    payload ("/request_human", '/ask_definition{"procedure": ...}', an offered "change:contact_name"): staff read
    what the patient saw, never the payload. The title is the one the assistant offered with that payload last;
    else the catalog's; else the intent's name in words."""
    offered: dict[str, str] = {}
    titles: dict[int, str] = {}
    for message in conversation:
        if message.role == "assistant":
            for button in (message.data or {}).get("buttons") or []:
                if isinstance(button, dict) and button.get("payload") and button.get("title"):
                    offered[str(button["payload"])] = str(button["title"])
        elif message.role == "patient" and (message.text.startswith("/") or message.text in offered):
            # The contact form's Change buttons send a payload without "/" ("change:contact_method").
            titles[message.id] = offered.get(message.text) or _title_of_payload(message.text)
    return titles


def _title_of_payload(payload: str) -> str:
    intent = payload[1:].split("{", 1)[0]
    key = BUTTON_TITLE_KEYS.get("/" + intent)
    if key:
        return messages().text(key, "en", site())
    words = intent.replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def _message_json(message: Message, titles: dict[int, str] | None = None) -> dict:
    data = message.data or {}
    title = (titles or {}).get(message.id)
    return {
        "id": message.id,
        "role": message.role,
        "role_label": ROLE_LABELS.get(message.role, message.role),
        # A button press is shown as the button's title, marked as a button (`button`).
        "text": title if title is not None else message.text,
        "button": title is not None,
        "at": iso(message.created_at),
        "at_text": local_time(message.created_at),
        "route": data.get("route"),
        "procedure": data.get("procedure"),
        "topic": data.get("topic"),
        "red_flag": data.get("red_flag"),
        "resend": bool(data.get(RESEND)),
        "staff_name": data.get("staff_name"),
        "delivery": data.get("delivery"),
        "delivered": data.get("delivered"),
    }


def _understood(messages: list[Message]) -> dict:
    """The last procedure and topic the assistant worked with in this conversation."""
    understood = {}
    for message in messages:
        data = message.data or {}
        if message.role == "assistant":
            for key in ("procedure", "topic"):
                if data.get(key):
                    understood[key] = data[key]
    return understood


def _assign_choices(colleagues: list[StaffUser]) -> list[tuple[str, str]]:
    return [("", "Nobody")] + [(str(c.id), c.display_name or c.username) for c in colleagues]


def _reclassify_form(**values) -> ReclassifyForm:
    form = ReclassifyForm(**values)
    form.kind.choices = list(KIND_LABELS.items())
    form.priority.choices = list(PRIORITY_LABELS.items())
    return form


def _page(
    ticket_id: int,
    *,
    status: int = 200,
    error: str | None = None,
    reply_form: ReplyForm | None = None,
    note_form: NoteForm | None = None,
    audit: bool = False,
):
    me = current_staff()
    with db().session() as session:
        ticket = session.get(Ticket, ticket_id)
        if ticket is None:
            abort(404)
        conversation = ticket.conversation
        messages = list(conversation.messages)
        events = list(session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.id)))
        people = {u.id: u for u in session.scalars(select(StaffUser))}
        earlier = contact_history(session, ticket)
        if audit:
            record_read(session, me.id, "open_ticket", conversation_id=conversation.id, ticket_id=ticket.id)
    colleagues = [u for u in people.values() if u.active]
    colleagues.sort(key=lambda u: (u.display_name or u.username).lower())
    assign_form = AssignForm(assignee=str(ticket.assigned_to_id or ""))
    assign_form.assignee.choices = _assign_choices(colleagues)
    resolve_form = ResolveForm(hand_back=conversation.taken_over_by_id is not None)
    reclassify_form = _reclassify_form(kind=ticket.kind, priority=ticket.priority)
    holder = people.get(conversation.taken_over_by_id)
    language_code, language_name = language_parts(conversation.language)
    titles = button_titles(messages)
    return render_template(
        "inbox/ticket.html",
        ticket=ticket,
        conversation=conversation,
        messages=[_message_json(m, titles) for m in messages],
        events=events,
        people=people,
        earlier=earlier,
        holder=holder,
        me=me,
        understood=_understood(messages),
        reply_form=reply_form or ReplyForm(),
        note_form=note_form or NoteForm(),
        assign_form=assign_form,
        resolve_form=resolve_form,
        reclassify_form=reclassify_form,
        take_over_form=TakeOverForm(expected=str(conversation.taken_over_by_id or "")),
        notes=[e for e in events if e.action == "note"],
        event_labels=EVENT_LABELS,
        error=error,
        channel_label=CHANNEL_LABELS.get(conversation.channel, conversation.channel),
        language_code=language_code,
        language_name=language_name,
        base_title=f"{ticket.reference} – Inbox",
    ), status


@bp.get("/tickets/<id:ticket_id>")
@role_required(*WORK_ROLES)
def ticket(ticket_id: int):
    return _page(ticket_id, audit=True)


@bp.get("/api/tickets/<id:ticket_id>/messages")
@role_required(*WORK_ROLES)
def ticket_messages(ticket_id: int):
    """Messages after id `after`, so the open ticket page shows the patient's new messages by itself."""
    after = whole_number_arg("after", "0")
    with db().session() as session:
        ticket = session.get(Ticket, ticket_id)
        if ticket is None:
            abort(404)
        holder = session.get(StaffUser, ticket.conversation.taken_over_by_id) if ticket.conversation.taken_over_by_id else None
        record_read(session, current_staff().id, "read_messages", conversation_id=ticket.conversation_id, ticket_id=ticket.id)
        # The whole conversation: a button pressed now was offered by an earlier message.
        conversation = list(session.scalars(select(Message).where(Message.conversation_id == ticket.conversation_id).order_by(Message.id)))
        titles = button_titles(conversation)
        return jsonify(
            {
                "messages": [_message_json(m, titles) for m in conversation if m.id > after][:200],
                "taken_over_by": (holder.display_name or holder.username) if holder else None,
            }
        )


def _done(ticket_id: int, outcome: operations.Outcome, anchor: str = ""):
    flash(outcome.message, outcome.category)
    return redirect(url_for("inbox.ticket", ticket_id=ticket_id) + anchor, code=303)


def _run(ticket_id: int, action, anchor: str = "", **page):
    """Do one action; a refusal shows the page again with the reason (and what was typed) and status 409."""
    try:
        outcome = action()
    except LookupError:
        abort(404)
    except operations.Refused as refusal:
        return _page(ticket_id, status=409, error=str(refusal), **page)
    return _done(ticket_id, outcome, anchor)


def _invalid(ticket_id: int, form, **page):
    errors = [message for messages in form.errors.values() for message in messages]
    return _page(ticket_id, status=400, error=" ".join(errors) or "The form was not filled in correctly.", **page)


@bp.post("/tickets/<id:ticket_id>/take-over")
@role_required(*WORK_ROLES)
def take_over(ticket_id: int):
    form = TakeOverForm()
    if not form.validate_on_submit():
        return _invalid(ticket_id, form)
    expected = int(form.expected.data) if form.expected.data else None
    return _run(ticket_id, lambda: operations.take_over(db(), ticket_id, current_staff().id, expected), "#reply")


@bp.post("/tickets/<id:ticket_id>/reply")
@role_required(*WORK_ROLES)
def reply(ticket_id: int):
    form = ReplyForm()
    if not form.validate_on_submit():
        return _invalid(ticket_id, form, reply_form=form)
    return _run(
        ticket_id, lambda: operations.reply(db(), ticket_id, current_staff().id, form.text.data, senders()), "#reply", reply_form=form
    )


@bp.post("/tickets/<id:ticket_id>/hand-back")
@role_required(*WORK_ROLES)
def hand_back(ticket_id: int):
    form = ActionForm()
    if not form.validate_on_submit():
        return _invalid(ticket_id, form)
    return _run(ticket_id, lambda: operations.hand_back(db(), site(), ticket_id, current_staff().id, senders(), messages()))


@bp.post("/tickets/<id:ticket_id>/resolve")
@role_required(*WORK_ROLES)
def resolve(ticket_id: int):
    form = ResolveForm()
    if not form.validate_on_submit():
        return _invalid(ticket_id, form)
    return _run(
        ticket_id, lambda: operations.resolve(db(), site(), ticket_id, current_staff().id, bool(form.hand_back.data), senders(), messages())
    )


@bp.post("/tickets/<id:ticket_id>/reopen")
@role_required(*WORK_ROLES)
def reopen(ticket_id: int):
    form = ActionForm()
    if not form.validate_on_submit():
        return _invalid(ticket_id, form)
    return _run(ticket_id, lambda: operations.reopen(db(), ticket_id, current_staff().id))


@bp.post("/tickets/<id:ticket_id>/assign")
@role_required(*WORK_ROLES)
def assign(ticket_id: int):
    form = AssignForm()
    form.assignee.choices = _assign_choices(operations.active_staff(db()))
    if not form.validate_on_submit():
        return _invalid(ticket_id, form)
    assignee = int(form.assignee.data) if form.assignee.data else None
    return _run(ticket_id, lambda: operations.assign(db(), ticket_id, current_staff().id, assignee))


@bp.post("/tickets/<id:ticket_id>/reclassify")
@role_required(*WORK_ROLES)
def reclassify(ticket_id: int):
    form = _reclassify_form()
    if not form.validate_on_submit():
        return _invalid(ticket_id, form)
    return _run(
        ticket_id,
        lambda: operations.reclassify(
            db(), ticket_id, current_staff().id, form.kind.data, form.priority.data, KIND_LABELS, PRIORITY_LABELS
        ),
    )


@bp.post("/tickets/<id:ticket_id>/notes")
@role_required(*WORK_ROLES)
def add_note(ticket_id: int):
    form = NoteForm()
    if not form.validate_on_submit():
        return _invalid(ticket_id, form, note_form=form)
    return _run(ticket_id, lambda: operations.add_note(db(), ticket_id, current_staff().id, form.text.data), "#notes", note_form=form)

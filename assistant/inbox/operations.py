"""What staff do to a ticket and its conversation, each recorded with who and when.

Every operation writes a ticket event (the ticket's history) and an audit
entry in the same transaction as the change. Messages to the patient go
through assistant.delivery after that transaction, so a slow SMS provider
never holds a database lock, and what the channel answered is recorded too.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update

from assistant.delivery import WEB_ONLY, Delivery, Senders, deliver
from assistant.inbox.trail import record
from core.config import ROOT
from core.messages import Messages
from core.site import Site
from core.storage.database import Database
from core.storage.models import Conversation, StaffUser, Ticket, TicketEvent, utcnow
from core.storage.tickets import KINDS, PRIORITIES


def _catalogs(messages: Messages | None) -> Messages:
    """The message catalogs given, else the project's own (messages/)."""
    return messages or Messages.load(ROOT / "messages")


class Refused(Exception):
    """The action cannot be done as asked; the message tells the staff member why and what to do."""


@dataclass(frozen=True)
class Outcome:
    message: str
    category: str = "success"  # success, warning
    delivery: Delivery | None = None


def _ticket(session, ticket_id: int) -> Ticket:
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        raise LookupError(ticket_id)
    return ticket


def _name(session, staff_id: int | None) -> str:
    if staff_id is None:
        return "nobody"
    user = session.get(StaffUser, staff_id)
    return (user.display_name or user.username) if user else "a former colleague"


def _sentence_start(name: str) -> str:
    return name[:1].upper() + name[1:]  # not str.capitalize(): "Anna Smith" must stay "Anna Smith"


def _event(session, ticket: Ticket, staff_id: int | None, action: str, detail: str = "") -> TicketEvent:
    event = TicketEvent(ticket_id=ticket.id, staff_id=staff_id, action=action, detail=detail)
    session.add(event)
    ticket.updated_at = utcnow()
    return event


def _set_status(session, ticket: Ticket, staff_id: int, status: str) -> None:
    if ticket.status != status:
        _event(session, ticket, staff_id, "status", f"{ticket.status} → {status}")
        ticket.status = status


def _claim(session, conversation: Conversation, staff_id: int, expected: int | None) -> bool:
    """Take the conversation if it is still held by `expected` (None: the assistant); False if it changed meanwhile."""
    holder = Conversation.taken_over_by_id
    condition = holder.is_(None) if expected is None else holder == expected
    result = session.execute(
        update(Conversation).where(Conversation.id == conversation.id, condition).values(taken_over_by_id=staff_id, taken_over_at=utcnow())
    )
    session.expire(conversation)
    return result.rowcount == 1


def take_over(db: Database, ticket_id: int, staff_id: int, expected: int | None) -> Outcome:
    with db.session() as session:
        ticket = _ticket(session, ticket_id)
        conversation = ticket.conversation
        holder = conversation.taken_over_by_id
        if holder == staff_id:
            raise Refused("You have already taken over this conversation.")
        if holder != expected:
            raise Refused(
                f"{_sentence_start(_name(session, holder))} has just taken over this conversation. "
                "Read the page again before taking it over."
            )
        if not _claim(session, conversation, staff_id, expected):
            raise Refused("Someone took over this conversation at the same moment. Read the page again.")
        origin = "from the assistant" if expected is None else f"from {_name(session, expected)}"
        _event(session, ticket, staff_id, "take_over", f"took over the conversation {origin}")
        if ticket.status == "open":
            _set_status(session, ticket, staff_id, "in_progress")
        record(session, staff_id, "take_over", conversation_id=conversation.id, ticket_id=ticket.id, detail=origin)
    return Outcome(
        "You have taken over this conversation. The assistant no longer answers the patient's questions: "
        "it tells them a member of staff will reply, until you hand it back. Emergency messages still get "
        "the emergency number and raise an urgent ticket."
    )


def reply(db: Database, ticket_id: int, staff_id: int, text: str, senders: Senders = WEB_ONLY) -> Outcome:
    with db.session() as session:
        ticket = _ticket(session, ticket_id)
        conversation = ticket.conversation
        holder = conversation.taken_over_by_id
        took_over = False
        if holder is None:
            # A staff reply while the assistant also answers would confuse the patient.
            if not _claim(session, conversation, staff_id, None):
                raise Refused("Someone took over this conversation at the same moment. Read the page again.")
            _event(session, ticket, staff_id, "take_over", "took over the conversation from the assistant to reply")
            record(
                session, staff_id, "take_over", conversation_id=conversation.id, ticket_id=ticket.id, detail="from the assistant, to reply"
            )
            took_over = True
        elif holder != staff_id:
            raise Refused(
                f"{_sentence_start(_name(session, holder))} has taken over this conversation. "
                "Take it over from them before replying; your text is still in the box."
            )
        if ticket.status == "open":
            _set_status(session, ticket, staff_id, "in_progress")
        staff_name = _name(session, staff_id)
        channel, sender_key, conversation_id = conversation.channel, conversation.sender_key, conversation.id
    delivery = deliver(db, channel, sender_key, text, senders=senders, role="staff", data={"staff_id": staff_id, "staff_name": staff_name})
    with db.session() as session:
        ticket = _ticket(session, ticket_id)
        _event(session, ticket, staff_id, "reply", delivery.detail)
        record(session, staff_id, "reply", conversation_id=conversation_id, ticket_id=ticket_id, detail=delivery.detail)
    prefix = (
        ("You have taken over this conversation; the assistant no longer answers the patient's questions until you hand it back. ")
        if took_over
        else ""
    )
    if delivery.delivered:
        return Outcome(f"{prefix}Reply sent: {delivery.detail}.", "success", delivery)
    return Outcome(
        f"{prefix}Your reply is saved in the conversation but did not reach the patient ({delivery.detail}). "
        "Contact the patient another way.",
        "warning",
        delivery,
    )


def _hand_back_in(session, ticket: Ticket, staff_id: int) -> tuple[str, str, str | None]:
    conversation = ticket.conversation
    holder = conversation.taken_over_by_id
    if holder is None:
        raise Refused("The assistant is already answering this conversation.")
    result = session.execute(
        update(Conversation)
        .where(Conversation.id == conversation.id, Conversation.taken_over_by_id == holder)
        .values(taken_over_by_id=None, taken_over_at=None)
    )
    if result.rowcount != 1:
        raise Refused("The conversation changed hands at the same moment. Read the page again.")
    detail = "handed the conversation back to the assistant"
    if holder != staff_id:
        detail += f" (it was taken over by {_name(session, holder)})"
    _event(session, ticket, staff_id, "hand_back", detail)
    record(session, staff_id, "hand_back", conversation_id=conversation.id, ticket_id=ticket.id)
    return conversation.channel, conversation.sender_key, conversation.language


def _tell_patient_handed_back(
    db: Database,
    site: Site,
    ticket_id: int,
    staff_id: int,
    channel: str,
    sender_key: str,
    senders: Senders,
    language: str | None,
    messages: Messages | None,
) -> Delivery:
    delivery = deliver(
        db,
        channel,
        sender_key,
        _catalogs(messages).text("handed_back", language, site),
        senders=senders,
        role="assistant",
        data={"route": "smalltalk", "handed_back": True},
    )
    with db.session() as session:
        _event(session, _ticket(session, ticket_id), staff_id, "patient_told", f"told the patient: {delivery.detail}")
    return delivery


def hand_back(
    db: Database, site: Site, ticket_id: int, staff_id: int, senders: Senders = WEB_ONLY, messages: Messages | None = None
) -> Outcome:
    with db.session() as session:
        channel, sender_key, language = _hand_back_in(session, _ticket(session, ticket_id), staff_id)
    delivery = _tell_patient_handed_back(db, site, ticket_id, staff_id, channel, sender_key, senders, language, messages)
    if delivery.delivered:
        return Outcome(f"The assistant answers this conversation again. The patient was told ({delivery.detail}).", "success", delivery)
    return Outcome(
        f"The assistant answers this conversation again, but the patient could not be told ({delivery.detail}).", "warning", delivery
    )


def resolve(
    db: Database,
    site: Site,
    ticket_id: int,
    staff_id: int,
    also_hand_back: bool,
    senders: Senders = WEB_ONLY,
    messages: Messages | None = None,
) -> Outcome:
    """Resolve, handing the conversation back if asked. One kept by staff is never a dead end: the patient's next
    message is acknowledged and reopens the ticket (core/storage/held.py)."""
    handed_back = None
    with db.session() as session:
        ticket = _ticket(session, ticket_id)
        if ticket.status == "resolved":
            raise Refused("This ticket is already resolved.")
        _set_status(session, ticket, staff_id, "resolved")
        record(session, staff_id, "resolve", conversation_id=ticket.conversation_id, ticket_id=ticket.id)
        kept = ticket.conversation.taken_over_by_id is not None
        if also_hand_back and kept:
            handed_back = _hand_back_in(session, ticket, staff_id)
    if handed_back is None:
        if kept:
            return Outcome(
                "Ticket resolved. You still have the conversation: if the patient writes again, they are "
                "told a member of staff will reply and this ticket is reopened."
            )
        return Outcome("Ticket resolved.")
    channel, sender_key, language = handed_back
    delivery = _tell_patient_handed_back(db, site, ticket_id, staff_id, channel, sender_key, senders, language, messages)
    told = f"the patient was told ({delivery.detail})" if delivery.delivered else f"the patient could not be told ({delivery.detail})"
    return Outcome(
        f"Ticket resolved and the conversation handed back to the assistant; {told}.",
        "success" if delivery.delivered else "warning",
        delivery,
    )


def reopen(db: Database, ticket_id: int, staff_id: int) -> Outcome:
    with db.session() as session:
        ticket = _ticket(session, ticket_id)
        if ticket.status != "resolved":
            raise Refused("Only a resolved ticket can be reopened.")
        _set_status(session, ticket, staff_id, "open")
        record(session, staff_id, "reopen", conversation_id=ticket.conversation_id, ticket_id=ticket.id)
    return Outcome("Ticket reopened.")


def _assignee_checked(session, assignee_id: int | None) -> None:
    if assignee_id is not None:
        assignee = session.get(StaffUser, assignee_id)
        if assignee is None or not assignee.active:
            raise Refused("That colleague has no active account.")


def _assign(session, ticket: Ticket, staff_id: int, assignee_id: int | None, how: str = "") -> str:
    ticket.assigned_to_id = assignee_id
    detail = f"assigned to {_name(session, assignee_id)}" if assignee_id is not None else "unassigned"
    _event(session, ticket, staff_id, "assign", detail)
    record(session, staff_id, "assign", conversation_id=ticket.conversation_id, ticket_id=ticket.id, detail=detail + how)
    return detail


def assign(db: Database, ticket_id: int, staff_id: int, assignee_id: int | None) -> Outcome:
    with db.session() as session:
        ticket = _ticket(session, ticket_id)
        _assignee_checked(session, assignee_id)
        if ticket.assigned_to_id == assignee_id:
            raise Refused("The ticket is already assigned that way.")
        detail = _assign(session, ticket, staff_id, assignee_id)
    return Outcome("Ticket unassigned." if assignee_id is None else f"Ticket {detail}.")


def assign_many(db: Database, ticket_ids: list[int], staff_id: int, assignee_id: int | None) -> Outcome:
    """Assign several tickets at once (the queue's bulk action), each recorded as if assigned on its own page;
    resolved tickets and those already assigned that way are left as they are."""
    changed = 0
    with db.session() as session:
        _assignee_checked(session, assignee_id)
        for ticket in session.scalars(select(Ticket).where(Ticket.id.in_(ticket_ids)).order_by(Ticket.id)):
            if ticket.status != "resolved" and ticket.assigned_to_id != assignee_id:
                detail = _assign(session, ticket, staff_id, assignee_id, how=", with others, from the queue")
                changed += 1
    if not changed:
        raise Refused("None of the selected tickets changed: they are resolved, assigned that way already, or no longer exist.")
    what = "unassigned" if assignee_id is None else detail
    message = f"1 ticket {what}." if changed == 1 else f"{changed} tickets {what}."
    if changed < len(ticket_ids):
        message += f" {len(ticket_ids) - changed} of the selected were resolved, assigned that way already, or no longer exist."
    return Outcome(message)


def reclassify(
    db: Database, ticket_id: int, staff_id: int, kind: str, priority: str, kind_labels: dict[str, str], priority_labels: dict[str, str]
) -> Outcome:
    """Change the ticket's type and priority (a clinical worry filed as paperwork, a false alarm filed as urgent)."""
    if kind not in KINDS or priority not in PRIORITIES:
        raise Refused("Choose a type and a priority from the lists.")
    with db.session() as session:
        ticket = _ticket(session, ticket_id)
        changes = []
        if ticket.kind != kind:
            changes.append(f"type {kind_labels[ticket.kind]} → {kind_labels[kind]}")
            ticket.kind = kind
        if ticket.priority != priority:
            changes.append(f"priority {priority_labels[ticket.priority]} → {priority_labels[priority]}")
            ticket.priority = priority
        if not changes:
            raise Refused("The ticket already has that type and priority.")
        detail = "; ".join(changes)
        _event(session, ticket, staff_id, "reclassify", detail)
        record(session, staff_id, "reclassify", conversation_id=ticket.conversation_id, ticket_id=ticket.id, detail=detail)
    return Outcome(f"Changed: {detail}.")


def add_note(db: Database, ticket_id: int, staff_id: int, text: str) -> Outcome:
    with db.session() as session:
        ticket = _ticket(session, ticket_id)
        _event(session, ticket, staff_id, "note", text)
        record(session, staff_id, "note", conversation_id=ticket.conversation_id, ticket_id=ticket.id)
    return Outcome("Internal note saved. It is not sent to the patient.")


def active_staff(db: Database) -> list[StaffUser]:
    with db.session() as session:
        return list(
            session.scalars(select(StaffUser).where(StaffUser.active.is_(True)).order_by(StaffUser.display_name, StaffUser.username))
        )


def resolve_many(db: Database, ticket_ids: list[int], staff_id: int) -> Outcome:
    """Resolve several tickets at once (the queue's bulk action), each recorded as if resolved on its own page.
    Conversations stay with whoever holds them: a patient who writes again reopens their ticket (storage/held.py)."""
    resolved = skipped = 0
    with db.session() as session:
        for ticket in session.scalars(select(Ticket).where(Ticket.id.in_(ticket_ids)).order_by(Ticket.id)):
            if ticket.status == "resolved":
                skipped += 1
                continue
            _set_status(session, ticket, staff_id, "resolved")
            record(
                session,
                staff_id,
                "resolve",
                conversation_id=ticket.conversation_id,
                ticket_id=ticket.id,
                detail="with others, from the queue",
            )
            resolved += 1
    if not resolved:
        raise Refused("None of the selected tickets could be resolved: they are resolved already or no longer exist.")
    message = "1 ticket resolved." if resolved == 1 else f"{resolved} tickets resolved."
    if skipped or resolved < len(ticket_ids):
        message += f" {len(ticket_ids) - resolved} of the selected were resolved already or no longer exist."
    return Outcome(message)

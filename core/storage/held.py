"""A patient's message while a staff member holds the conversation, so the assistant does not answer it.

The patient is still answered at once: the full note ("a member of staff will reply; in an emergency call
...") once per wait, a one-line receipt for the other messages of the same wait. A wait starts at the
take-over and again after each staff reply; a full note older than NOTE_REPEAT no longer counts, so a
patient who comes back later is told again. Staff must find the message in the queue: when none of the
conversation's tickets is still open (resolved while the conversation was kept), the latest is reopened.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select

from core.storage.conversations import find_conversation
from core.storage.database import Database
from core.storage.models import Message, Ticket, TicketEvent, utcnow
from core.storage.tickets import new_reference

NOTE_REPEAT = dt.timedelta(minutes=30)
FULL_NOTE = "full"  # Message.data["held_note"] of the full note; "receipt" for the short one


@dataclass(frozen=True)
class HeldTurn:
    full_note: bool  # False: the full note was given in this wait, a receipt is enough
    reopened: str | None = None  # the reference of the ticket this message reopened (or raised)


def _utc(moment: dt.datetime | None) -> dt.datetime | None:
    # SQLite hands back naive datetimes; everything is stored in UTC.
    return moment.replace(tzinfo=dt.UTC) if moment is not None and moment.tzinfo is None else moment


def patient_wrote_while_held(db: Database, channel: str, sender_key: str, text: str, now: dt.datetime | None = None) -> HeldTurn:
    """Call after the patient's message is stored: whether the full note is due, and the ticket it reopened."""
    now = now or utcnow()
    with db.session() as session:
        conversation = find_conversation(session, channel, sender_key)
        if conversation is None or conversation.taken_over_by_id is None:  # handed back a moment ago
            return HeldTurn(full_note=True)
        last_staff = session.scalar(
            select(func.max(Message.created_at)).where(Message.conversation_id == conversation.id, Message.role == "staff")
        )
        since = max(m for m in (_utc(conversation.taken_over_at), _utc(last_staff), now - NOTE_REPEAT) if m)
        notes = session.scalars(
            select(Message.data).where(Message.conversation_id == conversation.id, Message.role == "assistant", Message.created_at >= since)
        )
        full_note = not any((data or {}).get("held_note") == FULL_NOTE for data in notes)
        return HeldTurn(full_note, _reopen_for(session, conversation.id, text))


def _reopen_for(session, conversation_id: int, text: str) -> str | None:
    tickets = list(session.scalars(select(Ticket).where(Ticket.conversation_id == conversation_id).order_by(Ticket.id.desc())))
    if any(ticket.status != "resolved" for ticket in tickets):
        return None
    why = "the patient wrote while a member of staff kept the conversation"
    if not tickets:  # the tickets were removed under the retention rules; the conversation is still held
        ticket = Ticket(
            reference=new_reference(),
            conversation_id=conversation_id,
            kind="administrative",
            status="open",
            summary=text[:2000],
            contact={},
        )
        ticket.events.append(TicketEvent(action="created", detail=f"raised by the assistant: {why}"))
        session.add(ticket)
        return ticket.reference
    ticket = tickets[0]
    ticket.status, ticket.updated_at = "open", utcnow()
    session.add_all(
        [
            TicketEvent(ticket_id=ticket.id, action="status", detail="resolved → open"),
            TicketEvent(ticket_id=ticket.id, action="reopened", detail=f"reopened: {why}"),
        ]
    )
    return ticket.reference

"""Tickets for the secretariat: created by the assistant (forms, emergencies), worked in the inbox."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from sqlalchemy import select

from core.storage.conversations import conversation_for, find_conversation
from core.storage.database import Database
from core.storage.models import Ticket, TicketEvent, utcnow
from core.storage.replayed import first_application

KINDS = ("urgent", "clinical", "booking", "administrative")
PRIORITIES = ("high", "normal", "low")
# No 0/O or 1/I: references are read out over the phone.
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


@dataclass(frozen=True)
class CreatedTicket:
    id: int
    reference: str
    kind: str


def default_priority(kind: str) -> str:
    return "high" if kind == "urgent" else "normal"


def new_reference() -> str:
    return "IR-" + "".join(secrets.choice(_ALPHABET) for _ in range(6))


def create_ticket(
    db: Database,
    channel: str,
    sender_key: str,
    kind: str,
    summary: str,
    *,
    contact: dict | None = None,
    route: str | None = None,
    procedure: str | None = None,
) -> CreatedTicket:
    if kind not in KINDS:
        raise ValueError(f"unknown ticket kind {kind!r}")
    with db.session() as session:
        return _new_ticket(session, conversation_for(session, channel, sender_key), kind, summary, contact, route, procedure)


def create_replayed_ticket(
    db: Database, channel: str, sender_key: str, kind: str, summary: str, *, route: str, at: dt.datetime, write_id: str
) -> CreatedTicket | None:
    """create_ticket for a write replayed after an outage: its original time, and None when its id was
    applied before (core/storage/replayed.py)."""
    with db.session() as session:
        if not first_application(session, write_id):
            return None
        return _new_ticket(session, conversation_for(session, channel, sender_key), kind, summary, None, route, None, at)


def _new_ticket(
    session,
    conversation,
    kind: str,
    summary: str,
    contact: dict | None,
    route: str | None,
    procedure: str | None,
    at: dt.datetime | None = None,
) -> CreatedTicket:
    at = at or utcnow()
    ticket = Ticket(
        created_at=at,
        updated_at=at,
        reference=new_reference(),
        conversation_id=conversation.id,
        kind=kind,
        status="open",
        priority=default_priority(kind),
        summary=summary[:2000],
        contact=contact or {},
        route=route,
        procedure=procedure,
    )
    ticket.events.append(TicketEvent(action="created", detail=f"raised by the assistant ({route or kind})", created_at=at))
    session.add(ticket)
    session.flush()
    return CreatedTicket(ticket.id, ticket.reference, ticket.kind)


UNANSWERED_ROUTE = "unanswered"  # the route of a ticket for a message the assistant stopped on each time


def raise_unanswered(session, channel: str, sender_key: str, what: str) -> CreatedTicket:
    """A ticket telling staff a patient's message got no reply and needs one from the inbox, in `session`."""
    summary = f"This patient's message got no reply: the assistant stopped on it each time it tried. Please reply from the inbox. {what}"
    return _new_ticket(session, conversation_for(session, channel, sender_key), "administrative", summary, None, UNANSWERED_ROUTE, None)


REPEATED_RED_FLAG = "red_flag_again"  # the event that re-alerts staff on an open urgent ticket


def raise_urgent(
    db: Database, channel: str, sender_key: str, text: str, *, at: dt.datetime | None = None, write_id: str | None = None
) -> CreatedTicket | None:
    """One unresolved urgent ticket per conversation: a later emergency message is added to it as an event
    (which the inbox's urgent poll announces again) instead of opening another ticket, so one sender cannot
    flood the urgent queue. A ticket staff resolved or re-filed as non-urgent no longer counts.
    A replayed outage write gives its original time and id; None when that id was applied before."""
    with db.session() as session:
        if not first_application(session, write_id):
            return None
        conversation = conversation_for(session, channel, sender_key)
        ticket = session.scalar(
            select(Ticket)
            .where(Ticket.conversation_id == conversation.id, Ticket.kind == "urgent", Ticket.status != "resolved")
            .order_by(Ticket.id.desc())
            .limit(1)
        )
        if ticket is None:
            return _new_ticket(session, conversation, "urgent", text, None, "urgent", None, at)
        ticket.events.append(TicketEvent(action=REPEATED_RED_FLAG, detail=text[:2000], created_at=at or utcnow()))
        ticket.updated_at = utcnow()
        return CreatedTicket(ticket.id, ticket.reference, ticket.kind)


def has_open_ticket(db: Database, channel: str, sender_key: str, route: str) -> bool:
    """Whether the sender's conversation already has an unresolved ticket raised for `route`."""
    with db.session() as session:
        conversation = find_conversation(session, channel, sender_key)
        return (
            conversation is not None
            and session.scalar(
                select(Ticket.id)
                .where(Ticket.conversation_id == conversation.id, Ticket.route == route, Ticket.status != "resolved")
                .limit(1)
            )
            is not None
        )

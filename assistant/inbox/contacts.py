"""The contact panel of a ticket: the same patient's other conversations and tickets.

Two kinds of match, shown apart because only one proves it is the same person:
- verified: the same conversation, or another SMS or WhatsApp conversation from the same phone number (the
  provider vouches for an SMS or WhatsApp sender's number);
- typed: a ticket whose contact form gave the same phone number or e-mail address as this one (or as this
  conversation's verified number). Patients type these themselves, so staff are told to check before relying on it.
Phone numbers match on their digits only: "+44 7700 900456" and "+447700900456" match, "07700 900456" does not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import and_, or_, select

from core.storage.models import Conversation, Ticket

# Channels whose sender id is the patient's phone number in E.164, as the provider delivered it.
PHONE_CHANNELS = ("sms", "whatsapp", "whatsapp_twilio")
CONTACT_FIELDS = ("method", "phone", "email")
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}$")
MIN_PHONE_DIGITS = 6
MAX_SHOWN = 20
MAX_SCANNED = 5000


@dataclass(frozen=True)
class EarlierTicket:
    id: int
    reference: str
    kind: str
    status: str
    summary: str
    created_at: object
    channel: str
    matched_on: str  # what the two have in common, for staff to judge: "same conversation", "+447700900456", ...


@dataclass
class ContactHistory:
    verified: list[EarlierTicket] = field(default_factory=list)
    typed: list[EarlierTicket] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.verified or self.typed)


def phone_digits(value: str) -> str | None:
    """The digits of a phone number, or None when the value is not one (an e-mail address, a name)."""
    text = value.strip()
    if "@" in text or not re.fullmatch(r"\+?[0-9 ().-]+", text):
        return None
    digits = "".join(c for c in text if c.isdigit())
    return digits if len(digits) >= MIN_PHONE_DIGITS else None


def contact_keys(contact: dict | None) -> dict[str, str]:
    """{comparable key: the value as typed} for the phone numbers and e-mail addresses in a ticket's contact details."""
    keys = {}
    for name in CONTACT_FIELDS:
        value = str((contact or {}).get(name) or "").strip()
        if EMAIL.match(value):
            keys["email:" + value.lower()] = value
        elif (digits := phone_digits(value)) is not None:
            keys["phone:" + digits] = value
    return keys


def verified_phone(channel: str, sender_key: str) -> str | None:
    return sender_key if channel in PHONE_CHANNELS else None


def _earlier(ticket: Ticket, channel: str, matched_on: str) -> EarlierTicket:
    return EarlierTicket(ticket.id, ticket.reference, ticket.kind, ticket.status, ticket.summary, ticket.created_at, channel, matched_on)


def contact_history(session, ticket: Ticket) -> ContactHistory:
    """The same patient's other tickets, newest first, at most MAX_SHOWN of each kind of match."""
    conversation = ticket.conversation
    phone = verified_phone(conversation.channel, conversation.sender_key)
    history = ContactHistory()

    same_person = Ticket.conversation_id == conversation.id
    if phone is not None:
        same_person = or_(same_person, and_(Conversation.channel.in_(PHONE_CHANNELS), Conversation.sender_key == phone))
    rows = session.execute(
        select(Ticket, Conversation.channel, Conversation.id)
        .join(Conversation, Ticket.conversation_id == Conversation.id)
        .where(same_person, Ticket.id != ticket.id)
        .order_by(Ticket.created_at.desc(), Ticket.id.desc())
        .limit(MAX_SHOWN)
    ).all()
    for other, channel, conversation_id in rows:
        history.verified.append(_earlier(other, channel, "same conversation" if conversation_id == conversation.id else phone or ""))

    wanted = _keys(ticket.contact, conversation.channel, conversation.sender_key)
    seen = {ticket.id} | {t.id for t in history.verified}
    # Compared here, not in SQL: the details are JSON and typed in any format. The newest MAX_SCANNED tickets.
    candidates = session.execute(
        select(Ticket.id, Ticket.contact, Conversation.channel, Conversation.sender_key)
        .join(Conversation, Ticket.conversation_id == Conversation.id)
        .order_by(Ticket.created_at.desc(), Ticket.id.desc())
        .limit(MAX_SCANNED)
    ).all()
    matched: dict[int, str] = {}
    for other_id, contact, channel, sender_key in candidates:
        if other_id in seen or len(matched) >= MAX_SHOWN:
            continue
        common = wanted.keys() & _keys(contact, channel, sender_key).keys()
        if common:
            matched[other_id] = wanted[min(common)]
    if matched:
        rows = session.execute(
            select(Ticket, Conversation.channel).join(Conversation, Ticket.conversation_id == Conversation.id).where(Ticket.id.in_(matched))
        ).all()
        history.typed = [_earlier(other, channel, matched[other.id]) for other, channel in rows]
        history.typed.sort(key=lambda t: (t.created_at, t.id), reverse=True)
    return history


def _keys(contact: dict | None, channel: str, sender_key: str) -> dict[str, str]:
    """A ticket's typed details, and its conversation's verified number, as comparable keys."""
    keys = contact_keys(contact)
    phone = verified_phone(channel, sender_key)
    if phone is not None and (digits := phone_digits(phone)):
        keys.setdefault("phone:" + digits, phone)
    return keys

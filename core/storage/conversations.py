"""Conversations and their messages: the transcript staff and the widget read."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from sqlalchemy import Select, bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from core.storage.database import Database
from core.storage.models import Conversation, Message, StaffUser, utcnow
from core.storage.replayed import first_application

# A client sends a message again only soon after (the widget's "Try again", an integration's retry): the
# conversation's latest messages are searched, not the whole of a long one.
RESENT_WITHIN_MESSAGES = 60
# Marks a reply to a message that already had its replies: the same message sent again while the database
# could not be asked, answered anew, queued and replayed (_not_stored_before).
RESEND = "resend"


def find_conversation(session, channel: str, sender_key: str) -> Conversation | None:
    return session.scalar(select(Conversation).where(Conversation.channel == channel, Conversation.sender_key == sender_key))


def conversation_for(session, channel: str, sender_key: str) -> Conversation:
    """The sender's conversation on that channel, created on first contact."""
    found = find_conversation(session, channel, sender_key)
    if found is None:
        found = Conversation(channel=channel, sender_key=sender_key)
        session.add(found)
        session.flush()
    return found


class ConversationState(NamedTuple):
    taken_over: bool  # a staff member has the conversation
    language: str | None  # the patient's language as stored, after this write
    left_out: int = 0  # entries not written: stored before under the same client message id (_not_stored_before)


def add_messages(
    db: Database,
    channel: str,
    sender_key: str,
    entries: list[tuple[str, str, dict]],
    language: str | None = None,
    language_if_unset: str | None = None,
    *,
    at: dt.datetime | None = None,
    write_id: str | None = None,
) -> ConversationState:
    """Append (role, text, data) entries to the sender's conversation, in order. `language`, when given,
    becomes the conversation's language; `language_if_unset` only when it has none yet. A write replayed
    after an outage gives its original time (`at`) and its id (`write_id`: applied once, core/storage/replayed.py).

    Returns whether a staff member has the conversation and its language, read in the same
    transaction: a patient's turn needs both, and one transaction is cheaper.
    Two statements on an existing conversation (an UPDATE that returns the
    take-over state, one INSERT for the messages), written without the ORM:
    every turn writes twice, and the ORM's unit of work cost more than the
    write itself. The statements are built once (_TOUCH, _CREATE, _ADD):
    built on each call, their expressions and cache keys took a large share of
    a write's time (docs/BENCHMARKS.md, "Measurements behind design choices").
    """
    try:
        return _append(db, channel, sender_key, entries, language, language_if_unset, at, write_id)
    except IntegrityError:
        # A patient's first two messages at once (two texts sent together): the other request created the
        # conversation between this one's UPDATE and INSERT, so it exists now.
        return _append(db, channel, sender_key, entries, language, language_if_unset, at, write_id)


_TOUCH = (
    update(Conversation)
    .where(Conversation.channel == bindparam("of_channel"), Conversation.sender_key == bindparam("of_sender"))
    .values(
        updated_at=bindparam("at"), language=func.coalesce(bindparam("language"), Conversation.language, bindparam("language_if_unset"))
    )
    .returning(Conversation.id, Conversation.taken_over_by_id, Conversation.language)
)
_CREATE = (
    insert(Conversation)
    .values(
        channel=bindparam("of_channel"),
        sender_key=bindparam("of_sender"),
        created_at=bindparam("at"),
        updated_at=bindparam("at"),
        language=func.coalesce(bindparam("language"), bindparam("language_if_unset")),
    )
    .returning(Conversation.id, Conversation.taken_over_by_id, Conversation.language)
)
_ADD = insert(Message)


def _append(
    db: Database,
    channel: str,
    sender_key: str,
    entries: list[tuple[str, str, dict]],
    language: str | None,
    language_if_unset: str | None,
    at: dt.datetime | None,
    write_id: str | None,
) -> ConversationState:
    key = {"of_channel": channel, "of_sender": sender_key, "at": at or utcnow(), "language": language}
    key["language_if_unset"] = language_if_unset
    with db.engine.begin() as connection:
        if not first_application(connection, write_id):
            return ConversationState(False, None)  # replayed before
        found = connection.execute(_TOUCH, key).first() or connection.execute(_CREATE, key).one()
        given = len(entries)
        entries = _not_stored_before(connection, found.id, entries, replayed=write_id is not None)
        if entries:
            connection.execute(
                _ADD,
                [
                    {"conversation_id": found.id, "role": role, "text": text, "data": data, "created_at": key["at"]}
                    for role, text, data in entries
                ],
            )
        return ConversationState(found.taken_over_by_id is not None, found.language, given - len(entries))


def _not_stored_before(
    connection, conversation_id: int, entries: list[tuple[str, str, dict]], *, replayed: bool
) -> list[tuple[str, str, dict]]:
    """The entries without a patient message whose client message id is stored already: a message sent again
    is stored once. Replies to a message that has its replies (data "reply_to") are left out when written at
    once: that turn then returns the stored replies, so the patient reads what the transcript says. A replayed
    write's replies are kept, marked RESEND: its turn could not look for the first send and returned them, so
    the patient read them."""
    asked = {data.get("client_message_id") for role, _, data in entries if role == "patient"} - {None}
    answering = {data.get("reply_to") for role, _, data in entries if role == "assistant"} - {None}
    if not asked and not answering:
        return entries
    stored, answered = _sent_and_answered(connection, conversation_id)
    kept = []
    for role, text, data in entries:
        if role == "patient" and data.get("client_message_id") in stored:
            continue
        if role == "assistant" and data.get("reply_to") in answered:
            if not replayed:
                continue
            data = {**data, RESEND: True}
        kept.append((role, text, data))
    return kept


def _latest(*where) -> Select:
    """The conversation's latest messages (role, text, data), newest first: the window a resend is looked for in."""
    return select(Message.role, Message.text, Message.data).where(*where).order_by(Message.id.desc()).limit(RESENT_WITHIN_MESSAGES)


def _sends(rows) -> tuple[set[str], dict[str, list[dict]]]:
    """Of `rows` (newest first): the client message ids of the patient messages, and the replies ({"text", "data"},
    in order) to each client message id, without those marked RESEND. A reply names the message it answers
    (data "reply_to"); one that does not belongs to the patient message stored before it."""
    sent: set[str] = set()
    replies: dict[str, list[dict]] = {}
    owner = None
    for role, text, data in reversed(rows):  # oldest first
        data = data or {}
        if role == "patient":
            owner = data.get("client_message_id")
            if owner:
                sent.add(owner)
                replies.setdefault(owner, [])
        elif role == "assistant" and (answers := data.get("reply_to") or owner) and not data.get(RESEND):
            replies.setdefault(answers, []).append({"text": text, "data": data})
    return sent, replies


def _sent_and_answered(connection, conversation_id: int) -> tuple[set[str], set[str]]:
    """Of the conversation's latest messages: the client message ids stored, and those with a reply stored."""
    sent, replies = _sends(connection.execute(_latest(Message.conversation_id == conversation_id)).all())
    return sent, {message for message, answers in replies.items() if answers}


def language_of(db: Database, channel: str, sender_key: str) -> str | None:
    """The conversation's stored language; None when it has none or there is no conversation yet."""
    with db.session() as session:
        found = find_conversation(session, channel, sender_key)
        return found.language if found else None


def history(db: Database, channel: str, sender_key: str) -> list[dict]:
    with db.session() as session:
        conversation = find_conversation(session, channel, sender_key)
        if conversation is None:
            return []
        return [
            {"id": m.id, "role": m.role, "text": m.text, "data": m.data or {}, "at": m.created_at.isoformat()}
            for m in conversation.messages
        ]


class EarlierSend(NamedTuple):
    """A message stored before under the same client message id, and the replies stored after it."""

    replies: list[dict]  # {"text", "data"} in order; empty when its turn stopped before the replies were stored


def earlier_send(db: Database, channel: str, sender_key: str, client_message_id: str) -> EarlierSend | None:
    """The earlier send of this client message id in the sender's conversation, None if there was none."""
    with db.session() as session:
        conversation = select(Conversation.id).where(Conversation.channel == channel, Conversation.sender_key == sender_key)
        rows = session.execute(_latest(Message.conversation_id.in_(conversation.scalar_subquery()))).all()
    sent, replies = _sends(rows)
    return EarlierSend(replies[client_message_id]) if client_message_id in sent else None


def held_by(db: Database, channel: str, sender_key: str) -> int | None:
    """The id of the member of staff who holds the conversation, None while the assistant answers it."""
    with db.session() as session:
        conversation = find_conversation(session, channel, sender_key)
        return conversation.taken_over_by_id if conversation else None


def staff_names(db: Database, ids: set[int]) -> list[tuple[int, str, str]]:
    """(id, display name, role) of these members of staff."""
    with db.session() as session:
        rows = session.execute(select(StaffUser.id, StaffUser.display_name, StaffUser.role).where(StaffUser.id.in_(ids)))
        return [(row.id, row.display_name, row.role) for row in rows]


def is_taken_over(db: Database, channel: str, sender_key: str) -> bool:
    with db.session() as session:
        conversation = find_conversation(session, channel, sender_key)
        return bool(conversation and conversation.taken_over_by_id)

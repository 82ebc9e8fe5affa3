"""Tables. Changes to them go through an Alembic migration (core/storage/migrations)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Index, Integer, MetaData, String, Text, UniqueConstraint, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# Ids the audit log and the inbox's "after id" cursors refer to: SQLite would hand the highest one out again once
# its row is deleted (PostgreSQL's sequences never do). Migration 0005.
NEVER_REUSED_IDS = {"sqlite_autoincrement": True}


class Base(DeclarativeBase):
    # Named constraints, so migrations can alter them on SQLite and PostgreSQL alike.
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


class Conversation(Base):
    """One patient's thread on one channel, keyed by the channel's sender id."""

    __tablename__ = "conversations"
    __table_args__ = (UniqueConstraint("channel", "sender_key"), NEVER_REUSED_IDS)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))
    sender_key: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
    # While a staff member has taken the conversation over, the assistant does not
    # answer questions in it: it tells the patient a member of staff will reply
    # (the red-flag check still runs).
    taken_over_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"), nullable=True)
    taken_over_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # The patient's language (ISO 639-1), from their messages (core/language.py); None until one is told.
    language: Mapped[str | None] = mapped_column(String(8), nullable=True)

    messages: Mapped[list[Message]] = relationship(back_populates="conversation", order_by="Message.id", cascade="all, delete-orphan")


class Message(Base):
    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))  # patient, assistant, staff
    text: Mapped[str] = mapped_column(Text)
    data: Mapped[dict] = mapped_column(JSON, default=dict)  # route, procedure, topic, sources, score, buttons
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    conversation: Mapped[Conversation] = relationship(back_populates="messages")


class UnansweredQuestion(Base):
    """A question the assistant could not answer, for the curators."""

    __tablename__ = "unanswered_questions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sender_key: Mapped[str] = mapped_column(String(128), index=True)
    text: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(String(32))  # low_confidence, abstained, no_index, hand_over_<kind> (actions/hand_over.py)
    procedure: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class StaffUser(Base):
    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(128), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))  # secretariat, clinician, supervisor, curator, admin (inbox/auth.py)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Part of every session cookie's fingerprint: raised on sign-out, which ends the account's sessions everywhere.
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Ticket(Base):
    """Work for the secretariat, raised by the assistant or the gateway."""

    __tablename__ = "tickets"
    __table_args__ = (NEVER_REUSED_IDS,)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # urgent, clinical, booking, administrative
    # high, normal, low: the queue's first order, before the kind; staff change it (and the kind) on the ticket page.
    priority: Mapped[str] = mapped_column(String(8), default="normal", server_default="normal")
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)  # open, in_progress, resolved
    summary: Mapped[str] = mapped_column(Text, default="")
    contact: Mapped[dict] = mapped_column(JSON, default=dict)  # name, phone, email, about, preferred_times, consent
    route: Mapped[str | None] = mapped_column(String(32), nullable=True)
    procedure: Mapped[str | None] = mapped_column(String(64), nullable=True)
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    conversation: Mapped[Conversation] = relationship()
    events: Mapped[list[TicketEvent]] = relationship(back_populates="ticket", order_by="TicketEvent.id", cascade="all, delete-orphan")


class TicketEvent(Base):
    """History of a ticket: created, status changes, assignment, notes, replies, take-over, hand-back."""

    __tablename__ = "ticket_events"
    __table_args__ = (NEVER_REUSED_IDS,)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"), nullable=True)
    action: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    ticket: Mapped[Ticket] = relationship(back_populates="events")


class AuditEntry(Base):
    """Who opened which conversation and what they did."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"), nullable=True)
    action: Mapped[str] = mapped_column(String(32))
    conversation_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    ticket_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    detail: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)


class OptOut(Base):
    """SMS/WhatsApp numbers that sent STOP: nothing more is sent to them until START."""

    __tablename__ = "opt_outs"
    __table_args__ = (UniqueConstraint("channel", "address"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))
    address: Mapped[str] = mapped_column(String(64))
    opted_out: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class InboundMessage(Base):
    """Provider message ids already handled, so a provider's retry is not answered twice."""

    __tablename__ = "inbound_messages"
    __table_args__ = (UniqueConstraint("provider", "message_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    provider: Mapped[str] = mapped_column(String(20))
    message_id: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Feedback(Base):
    """A patient's thumbs up or down on one answer, for the curators."""

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), index=True)
    rating: Mapped[int] = mapped_column(Integer)  # +1 or -1
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class FeedbackReview(Base):
    """A curator's verdict on a thumbs-down answer (inbox/curator.py): the text needs work, the question reached
    the wrong text, or the answer was fine. Deleted with the rating."""

    __tablename__ = "feedback_reviews"

    feedback_id: Mapped[int] = mapped_column(ForeignKey("feedback.id", ondelete="CASCADE"), primary_key=True)
    verdict: Mapped[str] = mapped_column(String(16))  # text_needs_work, routing_error, fine
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"), nullable=True)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class TurnLock(Base):
    """A conversation's turn in progress (core/storage/turn_locks.py): one row while one message is answered."""

    __tablename__ = "turn_locks"

    channel: Mapped[str] = mapped_column(String(20), primary_key=True)
    sender_key: Mapped[str] = mapped_column(String(128), primary_key=True)
    holder: Mapped[str] = mapped_column(String(32))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class SavedReply(Base):
    """A reply the department wrote once for staff to insert in the inbox ("/" in the reply box), per language."""

    __tablename__ = "saved_replies"
    __table_args__ = (UniqueConstraint("language", "shortcut"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    language: Mapped[str] = mapped_column(String(8))  # a message catalog's code (messages/<language>.yml)
    shortcut: Mapped[str] = mapped_column(String(40))  # what staff type after "/": lower-case letters, digits, hyphens
    body: Mapped[str] = mapped_column(Text)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"), nullable=True)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class SavedView(Base):
    """A queue filter a member of staff named and keeps ("My clinical tickets", "Urgent SMS"): their own only."""

    __tablename__ = "saved_views"
    __table_args__ = (UniqueConstraint("staff_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    query: Mapped[str] = mapped_column(String(600))  # the queue's filters as query arguments (Filters.query_args)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ChannelJob(Base):
    """An SMS or WhatsApp message stored before its webhook is answered, until a worker has sent the reply
    (core/storage/channel_jobs.py). A worker holds a lease while it answers; `done_at` is set once it has sent."""

    __tablename__ = "channel_jobs"
    __table_args__ = (
        # The claim's lookups: the jobs not done yet, and one conversation's jobs in order.
        Index("ix_channel_jobs_undone", "id", postgresql_where=text("done_at IS NULL")),
        Index("ix_channel_jobs_conversation", "channel", "sender_key", "id"),
        NEVER_REUSED_IDS,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)  # arrival order
    channel: Mapped[str] = mapped_column(String(20))
    sender_key: Mapped[str] = mapped_column(String(128))
    provider: Mapped[str] = mapped_column(String(20))
    message_id: Mapped[str] = mapped_column(String(128))
    payload: Mapped[dict] = mapped_column(JSON, default=dict)  # {"text": ...} or {"media": "image"}
    holder: Mapped[str | None] = mapped_column(String(64), nullable=True)
    lease_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    done_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    outcome: Mapped[str | None] = mapped_column(String(32), nullable=True)  # answered, failed, abandoned
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ReplayedWrite(Base):
    """The id of a write made while the database was down, applied on replay in the same transaction as the
    write itself, so a write replayed twice is applied once (core/storage/pending_writes.py)."""

    __tablename__ = "replayed_writes"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    applied_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)

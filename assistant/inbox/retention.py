"""Retention: nothing about a patient is kept longer than the department decided.

    flask --app "assistant.gateway:create_app()" retention purge [--older-than-days N] [--anonymise] [--dry-run]
    flask --app "assistant.gateway:create_app()" retention forget --channel C --sender S

`purge` works on what was last touched more than N days ago (default: the
environment variable ASSISTANT_RETENTION_DAYS): messages, tickets (with their
history and notes), conversations left empty, questions logged for the
curators, and the Rasa conversation store (SQLite). With --anonymise the
rows stay for statistics (kinds, routes, procedures, dates) but every text,
contact detail and sender id is removed; the curators keep the wording of
unanswered questions, unlinked from whoever asked.

`forget` deletes everything about one patient at once (their request under
data-protection law). Opt-out records are kept: they are how a STOP is honoured.
The audit log keeps no patient content and is not touched, except for one
entry saying that a purge or a deletion happened.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import Connection, Engine, Table, bindparam, create_engine, delete, exists, func, inspect, select, update
from sqlalchemy.orm import Session

from assistant.inbox.trail import record
from core.config import Settings
from core.storage import search
from core.storage.database import Database
from core.storage.models import ChannelJob, Conversation, Message, Ticket, TicketEvent, UnansweredQuestion
from rasa_addons.tracker_schema import EVENTS, TURN_FENCES

REMOVED = "[removed]"
ANONYMISED_SENDER = "anonymised"
# What an anonymised message keeps: what kind of turn it was, nothing the patient or staff wrote.
KEPT_MESSAGE_FIELDS = ("route", "procedure", "topic", "red_flag", "delivered", "resend")

retention_cli = AppGroup("retention", help="Delete or anonymise old conversations and tickets; delete one patient's data.")


@dataclass(frozen=True)
class TrackerStore:
    """Rasa's own copy of each conversation: its events per sender id "channel:sender" (rasa_addons/tracker_schema.py)."""

    dialect: str
    location: str

    @classmethod
    def from_settings(cls, settings: Settings) -> TrackerStore:
        return cls(settings.tracker_dialect, settings.tracker_location)

    def _engine(self) -> Engine | None:
        """The store's database, if it already holds Rasa's table: a SQLite file, or PostgreSQL (scaled)."""
        if self.dialect == "sqlite":
            if not Path(self.location).is_file():
                return None
            engine = create_engine(f"sqlite:///{self.location}", connect_args={"timeout": 10})
        elif self.dialect == "postgresql":
            engine = create_engine(self.location, connect_args={"connect_timeout": 10})
        else:
            return None
        if not inspect(engine).has_table(EVENTS.name):
            engine.dispose()
            return None
        return engine

    def not_handled(self) -> str | None:
        if self.dialect not in ("sqlite", "postgresql"):
            return (
                f"the Rasa conversation store ({self.dialect}) was not touched: delete its events "
                "for the same senders with that database's tools"
            )
        return None

    def delete_inactive(self, cutoff: dt.datetime, dry_run: bool) -> int:
        """Every event of the senders whose last event is older than the cutoff; how many senders."""
        engine = self._engine()
        if engine is None:
            return 0
        try:
            with engine.begin() as connection:
                senders = list(
                    connection.scalars(
                        select(EVENTS.c.sender_id).group_by(EVENTS.c.sender_id).having(func.max(EVENTS.c.timestamp) < cutoff.timestamp())
                    )
                )
                if senders and not dry_run:
                    for table in _tables_per_sender(connection):
                        connection.execute(
                            delete(table).where(table.c.sender_id == bindparam("sender")), [{"sender": sender} for sender in senders]
                        )
        finally:
            engine.dispose()
        return len(senders)

    def delete_sender(self, sender_id: str, dry_run: bool) -> int:
        engine = self._engine()
        if engine is None:
            return 0
        try:
            with engine.begin() as connection:
                count = connection.scalar(select(func.count()).where(EVENTS.c.sender_id == sender_id))
                if not dry_run:
                    for table in _tables_per_sender(connection):
                        connection.execute(delete(table).where(table.c.sender_id == sender_id))
            if not dry_run and self.dialect == "sqlite":
                checkpoint(engine)
        finally:
            engine.dispose()
        return count


def _tables_per_sender(connection: Connection) -> list[Table]:
    """Rasa's events, and the turn fences (which name the sender) where the project's tracker store made them."""
    return [EVENTS, *([TURN_FENCES] if inspect(connection).has_table(TURN_FENCES.name) else [])]


@dataclass
class PurgeReport:
    days: int
    anonymise: bool
    dry_run: bool
    messages: int = 0
    tickets: int = 0
    unresolved_tickets: int = 0
    conversations: int = 0
    unanswered_questions: int = 0
    tracker_senders: int = 0
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        verb = "anonymised" if self.anonymise else "deleted"
        if self.dry_run:
            verb = f"would be {verb}"
        lines = [
            f"older than {self.days} days, {verb}:",
            f"  messages:              {self.messages}",
            f"  tickets:               {self.tickets} ({self.unresolved_tickets} of them not resolved)",
            f"  conversations:         {self.conversations}",
            f"  unanswered questions:  {self.unanswered_questions}",
            f"  Rasa conversations:    {self.tracker_senders}"
            + (" (deleted: Rasa's copy is not kept for statistics)" if self.anonymise else ""),
        ]
        return lines + [f"  note: {note}" for note in self.notes]


@dataclass
class ForgetReport:
    conversations: int = 0
    messages: int = 0
    tickets: int = 0
    unanswered_questions: int = 0
    tracker_events: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def found(self) -> bool:
        return bool(self.conversations or self.unanswered_questions or self.tracker_events)


def cutoff_for(days: int, now: dt.datetime | None = None) -> dt.datetime:
    return (now or dt.datetime.now(dt.UTC)) - dt.timedelta(days=days)


def _count(session: Session, query) -> int:
    return session.scalar(select(func.count()).select_from(query.subquery())) or 0


def _untouched_conversations(cutoff: dt.datetime):
    recent_message = exists().where(Message.conversation_id == Conversation.id, Message.created_at >= cutoff)
    recent_ticket = exists().where(Ticket.conversation_id == Conversation.id, Ticket.updated_at >= cutoff)
    return Conversation.created_at < cutoff, ~recent_message, ~recent_ticket


def _delete_old(session: Session, cutoff: dt.datetime, report: PurgeReport) -> None:
    old_tickets = select(Ticket.id).where(Ticket.updated_at < cutoff)
    report.tickets = _count(session, old_tickets)
    report.unresolved_tickets = _count(session, old_tickets.where(Ticket.status != "resolved"))
    report.messages = _count(session, select(Message.id).where(Message.created_at < cutoff))
    # Events, notes and feedback go with their ticket or message (ON DELETE CASCADE).
    session.execute(delete(Ticket).where(Ticket.updated_at < cutoff), execution_options={"synchronize_session": False})
    session.execute(delete(Message).where(Message.created_at < cutoff), execution_options={"synchronize_session": False})
    emptied = (
        Conversation.created_at < cutoff,
        ~exists().where(Message.conversation_id == Conversation.id),
        ~exists().where(Ticket.conversation_id == Conversation.id),
    )
    report.conversations = _count(session, select(Conversation.id).where(*emptied))
    session.execute(delete(Conversation).where(*emptied), execution_options={"synchronize_session": False})
    report.unanswered_questions = _count(session, select(UnansweredQuestion.id).where(UnansweredQuestion.created_at < cutoff))
    session.execute(
        delete(UnansweredQuestion).where(UnansweredQuestion.created_at < cutoff), execution_options={"synchronize_session": False}
    )


def _anonymise_old(session: Session, cutoff: dt.datetime, report: PurgeReport) -> None:
    tickets = list(session.scalars(select(Ticket).where(Ticket.updated_at < cutoff, Ticket.summary != REMOVED)))
    report.tickets = len(tickets)
    report.unresolved_tickets = sum(1 for t in tickets if t.status != "resolved")
    ids = [t.id for t in tickets]
    if ids:
        # updated_at is named so its on-update default does not make the rows look recent again.
        session.execute(
            update(Ticket).where(Ticket.id.in_(ids)).values(summary=REMOVED, contact={}, updated_at=Ticket.updated_at),
            execution_options={"synchronize_session": False},
        )
        session.execute(
            update(TicketEvent).where(TicketEvent.ticket_id.in_(ids), TicketEvent.action == "note").values(detail=REMOVED),
            execution_options={"synchronize_session": False},
        )
    for message in session.scalars(select(Message).where(Message.created_at < cutoff, Message.text != REMOVED)):
        message.text = REMOVED
        message.data = {k: v for k, v in (message.data or {}).items() if k in KEPT_MESSAGE_FIELDS}
        report.messages += 1
    untouched = (*_untouched_conversations(cutoff), ~Conversation.sender_key.startswith("anonymised-"))
    for conversation_id in list(session.scalars(select(Conversation.id).where(*untouched))):
        session.execute(
            update(Conversation)
            .where(Conversation.id == conversation_id)
            .values(
                sender_key=f"anonymised-{conversation_id}", taken_over_by_id=None, taken_over_at=None, updated_at=Conversation.updated_at
            ),
            execution_options={"synchronize_session": False},
        )
        report.conversations += 1
    old_questions = (UnansweredQuestion.created_at < cutoff, UnansweredQuestion.sender_key != ANONYMISED_SENDER)
    report.unanswered_questions = _count(session, select(UnansweredQuestion.id).where(*old_questions))
    session.execute(
        update(UnansweredQuestion).where(*old_questions).values(sender_key=ANONYMISED_SENDER),
        execution_options={"synchronize_session": False},
    )


def purge(
    db: Database, days: int, tracker: TrackerStore, *, anonymise: bool = False, dry_run: bool = False, now: dt.datetime | None = None
) -> PurgeReport:
    if days < 1:
        raise ValueError("the retention period must be at least one day")
    cutoff = cutoff_for(days, now)
    report = PurgeReport(days=days, anonymise=anonymise, dry_run=dry_run)
    with Session(db.engine, expire_on_commit=False) as session:
        (_anonymise_old if anonymise else _delete_old)(session, cutoff, report)
        # SMS and WhatsApp jobs answered long ago: their sender's number is all they still hold.
        session.execute(delete(ChannelJob).where(ChannelJob.done_at < cutoff), execution_options={"synchronize_session": False})
        if dry_run:
            session.rollback()
        else:
            record(session, None, "retention_purge", detail=" ".join(line.strip() for line in report.lines()[1:]))
            session.commit()
    if not dry_run:
        after_deleting(db)
    report.tracker_senders = tracker.delete_inactive(cutoff, dry_run)
    if tracker.not_handled():
        report.notes.append(tracker.not_handled())
    return report


def forget(db: Database, channel: str, sender_key: str, tracker: TrackerStore, *, keep_open_urgent: bool = False) -> ForgetReport:
    """Delete everything stored about the patient who writes as `sender_key` on `channel`.
    `keep_open_urgent` (the patient's own delete): an unresolved urgent ticket is kept for staff, anonymised
    (no contact details, no messages, the conversation no longer tied to the sender), with its emergency text."""
    report = ForgetReport()
    with Session(db.engine, expire_on_commit=False) as session:
        conversation = session.scalar(select(Conversation).where(Conversation.channel == channel, Conversation.sender_key == sender_key))
        conversation_id = None
        if conversation is not None:
            conversation_id = conversation.id
            report.conversations = 1
            report.messages = _count(session, select(Message.id).where(Message.conversation_id == conversation.id))
            kept = (
                list(
                    session.scalars(
                        select(Ticket.id).where(
                            Ticket.conversation_id == conversation.id, Ticket.kind == "urgent", Ticket.status != "resolved"
                        )
                    )
                )
                if keep_open_urgent
                else []
            )
            report.tickets = _count(session, select(Ticket.id).where(Ticket.conversation_id == conversation.id)) - len(kept)
            if kept:
                _keep_anonymised(session, conversation.id, kept)
                report.notes.append(f"{len(kept)} open urgent ticket(s) kept for staff, anonymised")
            else:
                session.execute(
                    delete(Conversation).where(Conversation.id == conversation.id), execution_options={"synchronize_session": False}
                )
        jobs = (ChannelJob.channel == channel, ChannelJob.sender_key == sender_key, ChannelJob.done_at.is_not(None))
        session.execute(delete(ChannelJob).where(*jobs), execution_options={"synchronize_session": False})
        # The action server logs misses under Rasa's sender id, "channel:sender".
        rasa_sender = f"{channel}:{sender_key}"
        questions = UnansweredQuestion.sender_key.in_([rasa_sender, sender_key])
        report.unanswered_questions = _count(session, select(UnansweredQuestion.id).where(questions))
        session.execute(delete(UnansweredQuestion).where(questions), execution_options={"synchronize_session": False})
        # No identifier in the log: it would keep what was just deleted.
        record(
            session,
            None,
            "retention_forget",
            conversation_id=conversation_id,
            detail=f"one patient's data deleted on request{' (by the patient)' if keep_open_urgent else ''}: {report.messages} messages, "
            f"{report.tickets} tickets, {report.unanswered_questions} logged questions"
            + (f"; {len(kept)} open urgent ticket(s) kept, anonymised" if conversation is not None and kept else ""),
        )
        session.commit()
    after_deleting(db)
    report.tracker_events = tracker.delete_sender(rasa_sender, dry_run=False)
    if tracker.not_handled():
        report.notes.append(tracker.not_handled())
    return report


def _keep_anonymised(session: Session, conversation_id: int, kept: list[int]) -> None:
    """Everything of the conversation goes but the open urgent tickets, which lose their contact details."""
    options = {"synchronize_session": False}
    session.execute(delete(Message).where(Message.conversation_id == conversation_id), execution_options=options)
    session.execute(delete(Ticket).where(Ticket.conversation_id == conversation_id, Ticket.id.not_in(kept)), execution_options=options)
    session.execute(update(Ticket).where(Ticket.id.in_(kept)).values(contact={}), execution_options=options)
    session.execute(
        update(TicketEvent).where(TicketEvent.ticket_id.in_(kept), TicketEvent.action == "note").values(detail=REMOVED),
        execution_options=options,
    )
    for ticket_id in kept:
        session.add(
            TicketEvent(ticket_id=ticket_id, action="patient_deleted", detail="the patient deleted the conversation; kept anonymised")
        )
    session.execute(
        update(Conversation)
        .where(Conversation.id == conversation_id)
        .values(sender_key=f"anonymised-{conversation_id}", taken_over_by_id=None, taken_over_at=None),
        execution_options=options,
    )


def after_deleting(db: Database) -> None:
    """Deleted text leaves the search indexes' segments (SQLite), then the write-ahead log."""
    with db.engine.begin() as connection:
        search.drop_deleted_words(connection)
    checkpoint(db.engine)


def checkpoint(engine: Engine) -> None:
    """On SQLite, copy the write-ahead log into the database file and empty it, so deleted text is not left readable
    in the -wal file until the next automatic checkpoint."""
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def default_days() -> int | None:
    return current_app.config["SETTINGS"].retention_days


def _tracker() -> TrackerStore:
    return TrackerStore.from_settings(current_app.config["SETTINGS"])


@retention_cli.command("purge")
@click.option(
    "--older-than-days",
    "days",
    type=click.IntRange(1, 36500),
    default=None,
    help="remove what was last touched more than this many days ago [ASSISTANT_RETENTION_DAYS]",
)
@click.option("--anonymise", is_flag=True, help="keep the rows for statistics but remove every text, contact and sender id")
@click.option("--dry-run", is_flag=True, help="only count what would be removed")
def purge_command(days: int | None, anonymise: bool, dry_run: bool) -> None:
    """Delete (or anonymise) conversations, tickets and logged questions older than the retention period."""
    days = days or default_days()
    if days is None:
        raise click.ClickException("give --older-than-days N or set ASSISTANT_RETENTION_DAYS")
    report = purge(current_app.extensions["db"], days, _tracker(), anonymise=anonymise, dry_run=dry_run)
    click.echo("\n".join(report.lines()))


@retention_cli.command("forget")
@click.option("--channel", required=True, help="the patient's channel: web, sms, whatsapp, ...")
@click.option("--sender", required=True, help="their id on that channel: the widget's sender id or their phone number as stored")
def forget_command(channel: str, sender: str) -> None:
    """Delete everything about one patient (their conversation, tickets, logged questions, Rasa's copy)."""
    report = forget(current_app.extensions["db"], channel.strip(), sender.strip(), _tracker())
    if not report.found:
        click.echo("nothing stored for that channel and sender; nothing deleted")
    else:
        click.echo(
            f"deleted: {report.conversations} conversation, {report.messages} messages, {report.tickets} tickets, "
            f"{report.unanswered_questions} logged questions, {report.tracker_events} Rasa events"
        )
    for note in report.notes:
        click.echo(f"note: {note}")

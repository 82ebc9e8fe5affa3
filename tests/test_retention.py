"""Retention: old conversations and tickets are deleted or anonymised, and one patient's data can be deleted on request."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from sqlalchemy import create_engine, func, insert, select, update

from assistant.inbox.retention import REMOVED, TrackerStore, forget, purge
from core.config import Settings
from core.storage.conversations import add_messages
from core.storage.curation import log_unanswered
from core.storage.feedback import record_feedback
from core.storage.models import (
    AuditEntry,
    Conversation,
    Feedback,
    Message,
    Ticket,
    TicketEvent,
    UnansweredQuestion,
)
from rasa_addons import tracker_schema
from rasa_addons.tracker_schema import EVENTS, TURN_FENCES
from tests.support.inbox import raise_ticket

DAY = dt.timedelta(days=1)
NOW = dt.datetime.now(dt.UTC)


def backdate_conversation(db, sender: str, age: dt.timedelta) -> None:
    """Make every message and ticket of the sender's web conversation `age` old."""
    moment = NOW - age
    with db.session() as session:
        conversation = session.scalar(select(Conversation).where(Conversation.sender_key == sender))
        session.execute(update(Conversation).where(Conversation.id == conversation.id).values(created_at=moment, updated_at=moment))
        session.execute(update(Message).where(Message.conversation_id == conversation.id).values(created_at=moment))
        session.execute(update(Ticket).where(Ticket.conversation_id == conversation.id).values(created_at=moment, updated_at=moment))


def patient_with_ticket(db, sender: str, age: dt.timedelta, *, status: str = "resolved") -> int:
    add_messages(
        db,
        "web",
        sender,
        [
            ("patient", f"I am {sender}, call me on 07700 900123", {}),
            (
                "assistant",
                "Here is what I found.",
                {"route": "answer", "procedure": "embolization", "topic": "driving", "sources": [{"doc": "x"}]},
            ),
        ],
    )
    ticket = raise_ticket(db, sender, "booking", f"{sender} wants Monday", contact={"name": sender.title(), "method": "07700 900123"})
    with db.session() as session:
        session.get(Ticket, ticket).status = status
        session.add(TicketEvent(ticket_id=ticket, action="note", detail=f"called {sender} at home"))
    log_unanswered(db, f"web:{sender}", f"question from {sender}", "low_confidence")
    backdate_conversation(db, sender, age)
    with db.session() as session:
        session.execute(update(UnansweredQuestion).where(UnansweredQuestion.sender_key == f"web:{sender}").values(created_at=NOW - age))
    return ticket


def counts(db) -> dict[str, int]:
    with db.session() as session:
        return {
            model.__tablename__: session.scalar(select(func.count()).select_from(model))
            for model in (Conversation, Message, Ticket, TicketEvent, UnansweredQuestion, Feedback)
        }


def no_tracker(tmp_path) -> TrackerStore:
    return TrackerStore("sqlite", str(tmp_path / "no-tracker.db"))


def rasa_tracker(tmp_path, events: list[tuple[str, float]]) -> TrackerStore:
    """A tracker store file laid out as Rasa's SQLTrackerStore creates it (rasa_addons/tracker_schema.py)."""
    path = tmp_path / "rasa_tracker.db"
    engine = create_engine(f"sqlite:///{path}")
    tracker_schema.metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(
            insert(EVENTS),
            [{"sender_id": sender, "type_name": "user", "timestamp": timestamp, "data": "{}"} for sender, timestamp in events],
        )
        # The project's tracker store records each conversation's last fencing token beside its events.
        connection.execute(insert(TURN_FENCES), [{"sender_id": sender, "token": "1-server"} for sender in {s for s, _ in events}])
    engine.dispose()
    return TrackerStore("sqlite", str(path))


def tracker_senders(store: TrackerStore) -> list[str]:
    engine = create_engine(f"sqlite:///{store.location}")
    with engine.connect() as connection:
        senders = sorted(set(connection.scalars(select(EVENTS.c.sender_id).union(select(TURN_FENCES.c.sender_id)))))
    engine.dispose()
    return senders


def test_purge_deletes_what_is_older_than_the_retention_period_and_keeps_the_rest(inbox_app, tmp_path):
    db = inbox_app.extensions["db"]
    patient_with_ticket(db, "old", 400 * DAY)
    patient_with_ticket(db, "stale-open", 400 * DAY, status="open")
    kept = patient_with_ticket(db, "recent", 10 * DAY)
    with db.session() as session:
        old_answer = session.scalar(
            select(Message.id).join(Conversation).where(Conversation.sender_key == "old", Message.role == "assistant")
        )
    assert record_feedback(db, "web", "old", old_answer, 1)
    tracker = rasa_tracker(tmp_path, [("web:old", (NOW - 400 * DAY).timestamp()), ("web:recent", (NOW - 10 * DAY).timestamp())])

    report = purge(db, 365, tracker)

    assert (
        report.messages,
        report.tickets,
        report.unresolved_tickets,
        report.conversations,
        report.unanswered_questions,
        report.tracker_senders,
    ) == (4, 2, 1, 2, 2, 1)
    assert counts(db) == {"conversations": 1, "messages": 2, "tickets": 1, "ticket_events": 2, "unanswered_questions": 1, "feedback": 0}
    with db.session() as session:
        assert session.scalar(select(Conversation.sender_key)) == "recent"
        assert session.scalar(select(Ticket.id)) == kept
        assert session.scalar(select(AuditEntry.action)) == "retention_purge"
    assert tracker_senders(tracker) == ["web:recent"]


def test_in_a_long_running_conversation_only_the_old_messages_go(inbox_app, tmp_path):
    db = inbox_app.extensions["db"]
    add_messages(db, "sms", "+447700900123", [("patient", "last year's question", {})])
    with db.session() as session:
        session.execute(update(Message).values(created_at=NOW - 400 * DAY))
        session.execute(update(Conversation).values(created_at=NOW - 400 * DAY))
    add_messages(db, "sms", "+447700900123", [("patient", "this week's question", {})])

    purge(db, 365, no_tracker(tmp_path))

    with db.session() as session:
        assert session.scalars(select(Message.text)).all() == ["this week's question"]
        assert session.scalar(select(Conversation.sender_key)) == "+447700900123"


def test_anonymise_keeps_the_rows_for_statistics_but_no_text_contact_or_sender(inbox_app, tmp_path):
    db = inbox_app.extensions["db"]
    old = patient_with_ticket(db, "old", 400 * DAY)
    recent = patient_with_ticket(db, "recent", 10 * DAY)
    before = counts(db)

    report = purge(db, 365, no_tracker(tmp_path), anonymise=True)

    assert (report.messages, report.tickets, report.conversations, report.unanswered_questions) == (2, 1, 1, 1)
    assert counts(db) == before
    with db.session() as session:
        ticket = session.get(Ticket, old)
        assert (ticket.summary, ticket.contact, ticket.kind, ticket.route, ticket.status) == (
            REMOVED,
            {},
            "booking",
            "escalate_booking",
            "resolved",
        )
        assert abs(ticket.updated_at.replace(tzinfo=dt.UTC) - (NOW - 400 * DAY)) < dt.timedelta(seconds=5)  # still looks old
        conversation = ticket.conversation
        assert conversation.sender_key == f"anonymised-{conversation.id}"
        assert [(m.text, m.data) for m in conversation.messages] == [
            (REMOVED, {}),
            (REMOVED, {"route": "answer", "procedure": "embolization", "topic": "driving"}),
        ]
        notes = session.scalars(select(TicketEvent.detail).where(TicketEvent.ticket_id == old, TicketEvent.action == "note"))
        assert list(notes) == [REMOVED]
        questions = dict(session.execute(select(UnansweredQuestion.text, UnansweredQuestion.sender_key)).all())
        assert questions == {"question from old": "anonymised", "question from recent": "web:recent"}
        untouched = session.get(Ticket, recent)
        assert untouched.summary == "recent wants Monday" and untouched.contact["name"] == "Recent"
    again = purge(db, 365, no_tracker(tmp_path), anonymise=True)
    assert (again.messages, again.tickets, again.conversations, again.unanswered_questions) == (0, 0, 0, 0)


def test_a_dry_run_counts_but_changes_nothing(inbox_app, tmp_path):
    db = inbox_app.extensions["db"]
    patient_with_ticket(db, "old", 400 * DAY)
    before = counts(db)
    report = purge(db, 365, no_tracker(tmp_path), dry_run=True)
    assert (report.messages, report.tickets, report.conversations) == (2, 1, 1)
    assert counts(db) == before


def test_forget_deletes_everything_about_one_patient_and_nothing_about_others(inbox_app, tmp_path):
    db = inbox_app.extensions["db"]
    patient_with_ticket(db, "leaving", 3 * DAY)
    patient_with_ticket(db, "staying", 3 * DAY)
    tracker = rasa_tracker(tmp_path, [("web:leaving", NOW.timestamp()), ("web:leaving", NOW.timestamp()), ("web:staying", NOW.timestamp())])

    report = forget(db, "web", "leaving", tracker)

    assert (report.conversations, report.messages, report.tickets, report.unanswered_questions, report.tracker_events) == (1, 2, 1, 1, 2)
    assert counts(db) == {"conversations": 1, "messages": 2, "tickets": 1, "ticket_events": 2, "unanswered_questions": 1, "feedback": 0}
    assert tracker_senders(tracker) == ["web:staying"]
    with db.session() as session:
        texts = " ".join(
            session.scalars(select(Message.text)).all()
            + session.scalars(select(TicketEvent.detail)).all()
            + session.scalars(select(AuditEntry.detail)).all()
        )
    assert "leaving" not in texts.replace("one patient's data deleted", "")


def test_forgetting_an_unknown_patient_deletes_nothing(inbox_app, tmp_path):
    db = inbox_app.extensions["db"]
    patient_with_ticket(db, "someone", 3 * DAY)
    before = counts(db)
    assert not forget(db, "web", "nobody", no_tracker(tmp_path)).found
    assert counts(db) == before


@pytest.mark.parametrize("storage_url", ["sqlite"], indirect=True)
def test_the_purge_command_takes_its_period_from_the_settings(inbox_app, monkeypatch, tmp_path):
    db = inbox_app.extensions["db"]
    patient_with_ticket(db, "old", 40 * DAY)
    runner = inbox_app.test_cli_runner()
    settings = inbox_app.config["SETTINGS"]

    inbox_app.config["SETTINGS"] = dataclasses.replace(settings, retention_days=None)
    missing = runner.invoke(args=["retention", "purge"])
    assert missing.exit_code != 0 and "ASSISTANT_RETENTION_DAYS" in missing.output

    inbox_app.config["SETTINGS"] = dataclasses.replace(settings, retention_days=60)
    kept = runner.invoke(args=["retention", "purge"])
    assert kept.exit_code == 0 and "older than 60 days, deleted:" in kept.output
    assert counts(db)["messages"] == 2

    dry = runner.invoke(args=["retention", "purge", "--older-than-days", "30", "--dry-run"])
    assert "would be deleted" in dry.output and counts(db)["messages"] == 2

    removed = runner.invoke(args=["retention", "purge", "--older-than-days", "30"])
    assert removed.exit_code == 0, removed.output
    assert "messages:              2" in removed.output
    assert counts(db)["messages"] == 0

    assert runner.invoke(args=["retention", "purge", "--older-than-days", "0"]).exit_code != 0


@pytest.mark.parametrize("storage_url", ["sqlite"], indirect=True)
def test_the_forget_command_reports_what_it_deleted(inbox_app, tmp_path):
    db = inbox_app.extensions["db"]
    patient_with_ticket(db, "leaving", 3 * DAY)
    tracker = rasa_tracker(tmp_path, [("web:leaving", NOW.timestamp()), ("web:other", NOW.timestamp())])  # at TRACKER_DB
    runner = inbox_app.test_cli_runner()

    result = runner.invoke(args=["retention", "forget", "--channel", "web", "--sender", "leaving"])

    assert result.exit_code == 0, result.output
    assert "deleted: 1 conversation, 2 messages, 1 tickets, 1 logged questions, 1 Rasa events" in result.output
    assert counts(db)["conversations"] == 0
    assert tracker_senders(tracker) == ["web:other"]
    nothing = runner.invoke(args=["retention", "forget", "--channel", "web", "--sender", "leaving"])
    assert "nothing deleted" in nothing.output


@pytest.fixture
def postgres_tracker(postgres_url):
    """Rasa's conversation store on the local PostgreSQL, in the gateway's database as endpoints.scaled.yml sets it
    (the run's database: its tables are made for the test and dropped after)."""
    settings = dataclasses.replace(
        Settings.from_env(),
        tracker_dialect="postgresql",
        tracker_db=postgres_url.rsplit("/", 1)[1],
        tracker_db_host="127.0.0.1",
        tracker_db_user="postgres",
    )
    store = TrackerStore.from_settings(settings)
    engine = create_engine(store.location)
    tracker_schema.metadata.drop_all(engine)  # what a Rasa test left in the run's database
    tracker_schema.metadata.create_all(engine)
    try:
        yield store, engine
    finally:
        tracker_schema.metadata.drop_all(engine)
        engine.dispose()


def test_forget_deletes_the_patients_events_from_a_postgresql_conversation_store(inbox_app, postgres_tracker):
    store, engine = postgres_tracker
    db = inbox_app.extensions["db"]
    patient_with_ticket(db, "leaving", 3 * DAY)
    with engine.begin() as connection:
        connection.execute(
            insert(EVENTS),
            [
                {"sender_id": sender, "type_name": "user", "timestamp": NOW.timestamp(), "data": "{}"}
                for sender in ("web:leaving", "web:leaving", "web:staying")
            ],
        )
        connection.execute(insert(TURN_FENCES), [{"sender_id": sender, "token": "1-server"} for sender in ("web:leaving", "web:staying")])

    report = forget(db, "web", "leaving", store)

    assert report.tracker_events == 2 and store.not_handled() is None
    with engine.connect() as connection:
        assert sorted(connection.scalars(select(EVENTS.c.sender_id))) == ["web:staying"]
        assert sorted(connection.scalars(select(TURN_FENCES.c.sender_id))) == ["web:staying"]

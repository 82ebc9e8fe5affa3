"""A department's last eight weeks as the curator console and the audit log show them: questions, answers,
ratings, hand-overs with replies, emergencies, logged misses and staff actions, at fixed pseudo-random times."""

from __future__ import annotations

import datetime as dt
import random
from zoneinfo import ZoneInfo

from assistant.inbox.weeks import Week
from core.storage.models import AuditEntry, Conversation, Feedback, Message, Ticket, TicketEvent, UnansweredQuestion
from core.storage.tickets import new_reference

PROCEDURES = {
    "embolization": "Embolization",
    "image_guided_biopsy": "Image-guided biopsy",
    "nephrostomy": "Nephrostomy",
    "angiography": "Angiography",
    "uterine_fibroid_embolization": "Uterine fibroid embolization",
}
TOPICS = {"driving": "Driving", "aftercare": "Afterwards", "preparation": "Preparing", "risks": "Risks", "duration": "How long it takes"}
# (procedure, reason, question) logged this week: what the curators should see grouped.
MISSES = [
    ("nephrostomy", "low_confidence", "can I go swimming with the nephrostomy bag?"),
    ("nephrostomy", "low_confidence", "is it ok to swim with a nephrostomy tube in"),
    ("nephrostomy", "low_confidence", "swimming pool after nephrostomy? text me on 07700 900123"),
    ("embolization", "hand_over_cost", "how much does embolization cost without insurance?"),
    ("embolization", "hand_over_cost", "will my insurance pay for the embolisation"),
    ("image_guided_biopsy", "low_confidence", "what happens after the biopsy if they find something?"),
    ("image_guided_biopsy", "hand_over_own_results", "my biopsy report says atypical cells, what does that mean"),
    ("angiography", "hand_over_dose", "how many paracetamol can I take after the angiogram"),
    (None, "low_confidence", "do you do the procedure under general anaesthetic on saturdays"),
    (None, "hand_over_practical", "where can we park for the IR department? email me at j.carter@example.org"),
]


def _moment(rng: random.Random, week: Week, now: dt.datetime) -> dt.datetime:
    end = min(week.end, now - dt.timedelta(minutes=5))
    return week.start + (end - week.start) * rng.random()


def eight_weeks(db, zone: str, staff_ids: list[int]) -> None:
    rng = random.Random(49)
    now = dt.datetime.now(dt.UTC)
    weeks = Week.containing(now, zone).run(8)
    with db.session() as session:
        for number, week in enumerate(weeks):
            growth = 1 + number * 0.12
            for n in range(int(rng.randint(14, 20) * growth)):
                asked = _moment(rng, week, now)
                conversation = Conversation(channel="web", sender_key=f"w{number}-{n}", created_at=asked, updated_at=asked)
                session.add(conversation)
                session.flush()
                procedure, topic = rng.choice(list(PROCEDURES)), rng.choice(list(TOPICS))
                question = Message(
                    conversation_id=conversation.id, role="patient", text=f"a question about {topic}", data={}, created_at=asked
                )
                answered = rng.random() < 0.8
                data = (
                    {
                        "route": "answer",
                        "procedure": procedure,
                        "topic": topic,
                        "sources": [{"doc": procedure, "section": topic, "section_title": TOPICS[topic], "title": PROCEDURES[procedure]}],
                    }
                    if answered
                    else {"route": "fallback"}
                )
                reply = Message(
                    conversation_id=conversation.id,
                    role="assistant",
                    text=f"The {PROCEDURES[procedure]} text says this about {TOPICS[topic].lower()}.",
                    data=data,
                    created_at=asked + dt.timedelta(seconds=2),
                )
                session.add_all([question, reply])
                session.flush()
                if answered and rng.random() < 0.35:
                    session.add(
                        Feedback(message_id=reply.id, rating=1 if rng.random() < 0.78 else -1, created_at=asked + dt.timedelta(minutes=1))
                    )
                if not answered and rng.random() < 0.5:
                    kind = "urgent" if rng.random() < 0.2 else rng.choice(["booking", "administrative", "clinical"])
                    ticket = Ticket(
                        reference=new_reference(),
                        conversation_id=conversation.id,
                        kind=kind,
                        summary="request passed on",
                        contact={},
                        created_at=asked,
                        updated_at=asked,
                    )
                    session.add(ticket)
                    session.flush()
                    replied = asked + dt.timedelta(minutes=rng.randint(20, 60 * (9 - number // 2)))
                    if replied < now:
                        session.add(TicketEvent(ticket_id=ticket.id, staff_id=rng.choice(staff_ids), action="reply", created_at=replied))
        this_week = weeks[-1]
        for number, (procedure, reason, text) in enumerate(MISSES):
            asked = _moment(rng, this_week, now)
            conversation = Conversation(channel="web", sender_key=f"miss-{number}", created_at=asked, updated_at=asked)
            session.add(conversation)
            session.flush()
            session.add(Message(conversation_id=conversation.id, role="patient", text=text, data={}, created_at=asked))
            session.add(
                Message(
                    conversation_id=conversation.id,
                    role="assistant",
                    text="I'm not sure I understood. Could you say it another way?",
                    data={"route": "fallback"},
                    created_at=asked + dt.timedelta(seconds=2),
                )
            )
            session.add(
                UnansweredQuestion(
                    sender_key=f"web:{conversation.sender_key}", text=text, reason=reason, procedure=procedure, created_at=asked
                )
            )


def a_thumbs_down_this_week(db, zone: str) -> int:
    """A thumbs-down on an answer whose question the routing sent to the wrong text; returns the rating's id."""
    now = dt.datetime.now(dt.UTC)
    asked = max(Week.containing(now, zone).start, now - dt.timedelta(hours=3))
    with db.session() as session:
        conversation = Conversation(channel="web", sender_key="w-rated", created_at=asked, updated_at=asked)
        session.add(conversation)
        session.flush()
        session.add(
            Message(
                conversation_id=conversation.id,
                role="patient",
                text="when can I drive after the fibroid embolisation?",
                data={},
                created_at=asked,
            )
        )
        answer = Message(
            conversation_id=conversation.id,
            role="assistant",
            text="Most people are advised not to drive for at least 24 hours after embolization, and longer on strong painkillers.",
            data={
                "route": "answer",
                "procedure": "embolization",
                "topic": "driving",
                "sources": [{"doc": "embolization", "section": "driving", "section_title": "Driving", "title": "Embolization"}],
            },
            created_at=asked + dt.timedelta(seconds=2),
        )
        session.add(answer)
        session.flush()
        feedback = Feedback(message_id=answer.id, rating=-1, created_at=asked + dt.timedelta(minutes=1))
        session.add(feedback)
        session.flush()
        return feedback.id


def a_busy_audit_trail(db, zone: str, staff: dict[str, int], days: int = 6) -> None:
    """What the secretariat did over the last days from 8 in the morning, with the repeats the ticket pages'
    polling used to leave."""
    rng = random.Random(24)
    now = dt.datetime.now(dt.UTC)
    today = now.astimezone(ZoneInfo(zone)).date()
    with db.session() as session:
        tickets = list(session.query(Ticket.id, Ticket.conversation_id).limit(40))
        entries = []
        for day in range(days, -1, -1):
            for staff_id in staff.values():
                opening = dt.datetime.combine(today - dt.timedelta(days=day), dt.time(8), ZoneInfo(zone))
                start = (opening + dt.timedelta(minutes=rng.randint(0, 50))).astimezone(dt.UTC)
                entries.append((start, staff_id, "login", None, None))
                for step in range(rng.randint(2, 4)):
                    ticket_id, conversation_id = rng.choice(tickets)
                    moment = start + dt.timedelta(minutes=50 * step + 5)
                    repeats = rng.choice([1, 1, 3, 4])  # the page left open: a read every READ_WINDOW
                    for repeat in range(repeats):
                        entries.append((moment + dt.timedelta(minutes=repeat * 11), staff_id, "open_ticket", ticket_id, conversation_id))
                    action = rng.choice(["reply", "note", "resolve", "take_over"])
                    entries.append((moment + dt.timedelta(minutes=repeats * 11 + 2), staff_id, action, ticket_id, conversation_id))
        for moment, staff_id, action, ticket_id, conversation_id in sorted(entries, key=lambda entry: entry[0]):
            if moment < now:
                session.add(
                    AuditEntry(staff_id=staff_id, action=action, ticket_id=ticket_id, conversation_id=conversation_id, created_at=moment)
                )

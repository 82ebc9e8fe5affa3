"""The curators' weekly report: per week the questions, answers, hand-overs and emergencies, the share of ratings
that were thumbs up and the secretariat's time to a first reply; for the chosen week the procedures and topics
answered most. Counts only: no patient's words."""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import func, select

from assistant.inbox.blueprint import as_utc
from assistant.inbox.weeks import Week
from core.storage.models import Feedback, Message, Ticket, TicketEvent

WEEKS_SHOWN = 8
TOP = 8


@dataclass
class WeekNumbers:
    week: Week
    questions: int = 0  # messages from patients
    answers: int = 0  # answers from the texts
    hand_overs: int = 0  # tickets for the secretariat, emergencies apart
    emergencies: int = 0  # urgent tickets
    thumbs_up: int = 0
    thumbs_down: int = 0
    first_reply_minutes: float | None = None  # median, over the week's tickets that had a reply

    @property
    def thumbs_up_share(self) -> float | None:
        rated = self.thumbs_up + self.thumbs_down
        return self.thumbs_up / rated if rated else None


@dataclass
class WeeklyReport:
    weeks: list[WeekNumbers]  # oldest first; the last is the chosen week
    top_procedures: list[tuple[str, int]]
    top_topics: list[tuple[str, int]]

    @property
    def chosen(self) -> WeekNumbers:
        return self.weeks[-1]


def _bucket(weeks: list[Week], moment) -> int | None:
    """The position in `weeks` of the week a stored moment falls in, or None."""
    moment = as_utc(moment)
    for position, week in enumerate(weeks):
        if week.start <= moment < week.end:
            return position
    return None


def weekly_report(session, chosen: Week, procedure_label, topic_label, count: int = WEEKS_SHOWN) -> WeeklyReport:
    weeks = chosen.run(count)
    numbers = [WeekNumbers(week) for week in weeks]
    start, end = weeks[0].start, weeks[-1].end
    procedures: Counter[str] = Counter()
    topics: Counter[str] = Counter()

    patient_times = session.scalars(
        select(Message.created_at).where(Message.role == "patient", Message.created_at >= start, Message.created_at < end)
    )
    for moment in patient_times:
        if (position := _bucket(weeks, moment)) is not None:
            numbers[position].questions += 1

    # The route lives in the message's JSON data, read here rather than queried, the same on SQLite and PostgreSQL.
    assistant_rows = session.execute(
        select(Message.created_at, Message.data).where(Message.role == "assistant", Message.created_at >= start, Message.created_at < end)
    )
    for moment, data in assistant_rows:
        data = data or {}
        position = _bucket(weeks, moment)
        if position is None or data.get("route") != "answer":
            continue
        numbers[position].answers += 1
        if position == count - 1:
            procedures[procedure_label(data.get("procedure"))] += 1
            if data.get("topic"):
                topics[topic_label(data["topic"])] += 1

    first_reply = (
        select(TicketEvent.ticket_id, func.min(TicketEvent.created_at).label("replied_at"))
        .where(TicketEvent.action == "reply")
        .group_by(TicketEvent.ticket_id)
        .subquery()
    )
    tickets = session.execute(
        select(Ticket.kind, Ticket.created_at, first_reply.c.replied_at)
        .outerjoin(first_reply, first_reply.c.ticket_id == Ticket.id)
        .where(Ticket.created_at >= start, Ticket.created_at < end)
    )
    waits: list[list[float]] = [[] for _ in weeks]
    for kind, created_at, replied_at in tickets:
        if (position := _bucket(weeks, created_at)) is None:
            continue
        if kind == "urgent":
            numbers[position].emergencies += 1
        else:
            numbers[position].hand_overs += 1
        if replied_at is not None:
            waits[position].append((as_utc(replied_at) - as_utc(created_at)).total_seconds() / 60)
    for position, found in enumerate(waits):
        numbers[position].first_reply_minutes = statistics.median(found) if found else None

    ratings = session.execute(select(Feedback.created_at, Feedback.rating).where(Feedback.created_at >= start, Feedback.created_at < end))
    for moment, rating in ratings:
        if (position := _bucket(weeks, moment)) is not None:
            if rating > 0:
                numbers[position].thumbs_up += 1
            else:
                numbers[position].thumbs_down += 1

    return WeeklyReport(numbers, procedures.most_common(TOP), topics.most_common(TOP))


def minutes_label(minutes: float | None) -> str:
    """'—', '35 min', '3 h 10 min', '2 days 4 h'."""
    if minutes is None:
        return "—"
    whole = round(minutes)
    if whole < 60:
        return f"{whole} min"
    hours, rest = divmod(whole, 60)
    if hours < 48:
        return f"{hours} h {rest} min" if rest else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} days {hours} h" if hours else f"{days} days"


def share_label(share: float | None) -> str:
    return "—" if share is None else f"{round(share * 100)}%"

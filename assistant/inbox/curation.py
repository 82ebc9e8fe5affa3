"""What the curator console reads: the week's unanswered and handed-over questions grouped by procedure and
topic, the thumbs-down answers with the question asked, and the texts by review status.

Curators never see a patient's contact details: every question and answer passes through mask_text (phone
numbers and e-mail addresses masked) before it leaves this module, and nothing here reads a ticket's contact.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from assistant.inbox.weeks import Week
from core.log_privacy import mask_text
from core.storage.models import Conversation, Feedback, FeedbackReview, Message, UnansweredQuestion
from knowledge.catalog import SECTION_LABELS
from knowledge.cues import cues_of
from knowledge.documents import parse, text_files
from knowledge.review import status_of

EXAMPLES_PER_GROUP = 3
# Why the assistant passed a question on (actions/hand_over.py: "hand_over_<kind>").
HAND_OVER_TOPICS = {
    "dose": "Medicine doses",
    "cost": "Costs and insurance",
    "booking": "Appointments",
    "own_results": "The patient's own results",
    "practical": "Hospital practicalities",
    "symptom": "The patient's own symptoms",
}
UNANSWERED_REASONS = {
    "low_confidence": "No text matched well enough",
    "abstained": "No text matched well enough",
    "no_index": "The texts could not be searched",
    "no_text": "No text on this",
}
VERDICTS = {"text_needs_work": "Text needs work", "routing_error": "Routing error", "fine": "Fine"}


def masked(text: str) -> str:
    """A patient's words as a curator may read them: phone numbers and e-mail addresses masked."""
    return mask_text(text or "")


def procedure_label(procedure: str | None, titles: dict[str, str]) -> str:
    if not procedure:
        return "No procedure named"
    return titles.get(procedure) or procedure.replace("_", " ").capitalize()


def topic_of(question: UnansweredQuestion) -> tuple[str, str]:
    """(outcome, topic) of a logged question: handed over and why, or unanswered and what it seems to ask about
    (from the wording cues the dialogue uses)."""
    if question.reason.startswith("hand_over_"):
        kind = question.reason.removeprefix("hand_over_")
        return "Handed over", HAND_OVER_TOPICS.get(kind, kind.replace("_", " ").capitalize())
    sections = cues_of(question.text).sections
    if sections and sections[0] in SECTION_LABELS:
        return "Unanswered", SECTION_LABELS[sections[0]][0]
    return "Unanswered", UNANSWERED_REASONS.get(question.reason, "Topic not recognised")


@dataclass
class Example:
    text: str
    asked_at: dt.datetime
    conversation_id: int | None


@dataclass
class QuestionGroup:
    procedure: str
    outcome: str
    topic: str
    count: int = 0
    examples: list[Example] = field(default_factory=list)


def _conversation_ids(session, sender_keys: set[str]) -> dict[str, int]:
    """Logged questions name their conversation by Rasa's sender id, "channel:sender"."""
    wanted: dict[tuple[str, str], str] = {}
    for key in sender_keys:
        channel, _, sender = key.partition(":")
        if sender:
            wanted[(channel, sender)] = key
    if not wanted:
        return {}
    rows = session.execute(
        select(Conversation.id, Conversation.channel, Conversation.sender_key).where(
            Conversation.sender_key.in_({sender for _, sender in wanted})
        )
    ).all()
    return {wanted[(channel, sender)]: id_ for id_, channel, sender in rows if (channel, sender) in wanted}


def logged_questions(session, week: Week) -> list[UnansweredQuestion]:
    query = (
        select(UnansweredQuestion)
        .where(UnansweredQuestion.created_at >= week.start, UnansweredQuestion.created_at < week.end)
        .order_by(UnansweredQuestion.id.desc())
    )
    return list(session.scalars(query))


def question_groups(session, week: Week, titles: dict[str, str]) -> list[QuestionGroup]:
    """The week's unanswered and handed-over questions by procedure and topic, largest group first, each with
    its newest examples."""
    questions = logged_questions(session, week)
    conversations = _conversation_ids(session, {q.sender_key for q in questions})
    groups: dict[tuple[str, str, str], QuestionGroup] = {}
    for question in questions:
        outcome, topic = topic_of(question)
        procedure = procedure_label(question.procedure, titles)
        group = groups.setdefault((procedure, outcome, topic), QuestionGroup(procedure, outcome, topic))
        group.count += 1
        if len(group.examples) < EXAMPLES_PER_GROUP:
            group.examples.append(Example(masked(question.text), question.created_at, conversations.get(question.sender_key)))
    return sorted(groups.values(), key=lambda g: (-g.count, g.procedure, g.outcome, g.topic))


@dataclass
class RatedAnswer:
    feedback_id: int
    rated_at: dt.datetime
    conversation_id: int
    question: str
    answer: str
    procedure: str
    section: str
    verdict: str | None


def thumbs_down(session, week: Week, titles: dict[str, str]) -> list[RatedAnswer]:
    """The week's thumbs-down answers, newest first, each with the patient's question before it."""
    rows = session.execute(
        select(Feedback, Message, FeedbackReview.verdict)
        .join(Message, Feedback.message_id == Message.id)
        .outerjoin(FeedbackReview, FeedbackReview.feedback_id == Feedback.id)
        .where(Feedback.rating < 0, Feedback.created_at >= week.start, Feedback.created_at < week.end)
        .order_by(Feedback.id.desc())
    ).all()
    rated = []
    for feedback, message, verdict in rows:
        question = session.scalar(
            select(Message.text)
            .where(Message.conversation_id == message.conversation_id, Message.role == "patient", Message.id < message.id)
            .order_by(Message.id.desc())
            .limit(1)
        )
        data = message.data or {}
        source = (data.get("sources") or [{}])[0]
        section = source.get("section_title") or SECTION_LABELS.get(data.get("topic") or "", ("",))[0]
        rated.append(
            RatedAnswer(
                feedback.id,
                feedback.created_at,
                message.conversation_id,
                masked(question or ""),
                masked(message.text),
                procedure_label(source.get("doc") or data.get("procedure"), titles),
                section or "No section",
                verdict,
            )
        )
    return rated


@dataclass(frozen=True)
class TextStatus:
    doc: str
    title: str
    state: str  # signed, changed since sign-off, draft
    signed_by: str | None
    signed_on: str | None
    review_due: dt.date | None
    overdue: bool
    due_soon: bool


def texts_by_review(texts_dir: Path, today: dt.date, soon: dt.timedelta = dt.timedelta(days=60)) -> list[TextStatus]:
    """Every text with its review status (knowledge/review.py), those needing a clinician first: overdue, then
    drafts and changed texts, then by due date."""
    found = []
    for path in text_files(texts_dir):
        doc, _ = parse(path)
        if doc is None:
            continue
        status = status_of(doc)
        due = status.review_due
        found.append(
            TextStatus(
                status.doc,
                doc.title or status.doc,
                status.state,
                status.signed_by,
                status.signed_on,
                due,
                status.overdue(today),
                due is not None and today <= due <= today + soon,
            )
        )
    order = {"draft": 1, "changed since sign-off": 1, "signed": 2}
    return sorted(found, key=lambda t: (0 if t.overdue else order[t.state], t.review_due or dt.date.max, t.title))


def titles_of(texts: list[TextStatus]) -> dict[str, str]:
    return {text.doc: text.title for text in texts}


def _curated(session, conversation: Conversation) -> bool:
    """Whether the console links to the conversation: it has a logged question or a rated answer. Curators read
    only those, not every conversation by its number."""
    logged = session.scalar(
        select(UnansweredQuestion.id).where(UnansweredQuestion.sender_key == f"{conversation.channel}:{conversation.sender_key}").limit(1)
    )
    rated = session.scalar(
        select(Feedback.id).join(Message, Feedback.message_id == Message.id).where(Message.conversation_id == conversation.id).limit(1)
    )
    return logged is not None or rated is not None


# A patient's message after one of these may be their name, number or address for the secretariat (the contact
# form's questions carry the escalation routes) or meant for a member of staff: a curator sees that it was
# withheld, never the words.
WITHHELD_AFTER_ROUTES = ("escalate_booking", "escalate_admin", "escalate_symptom")
WITHHELD_PATIENT = "Reply to the contact form or to staff: not shown in the curator console."
WITHHELD_STAFF = "A member of staff wrote to the patient: not shown in the curator console."


def conversation_transcript(session, conversation_id: int) -> list[dict] | None:
    """A conversation as a curator reads it: who said what and when, the assistant's route and source, every text
    masked; answers to the contact form and staff messages withheld; never the channel's sender id. None when
    there is no such conversation or the console does not link to it."""
    conversation = session.get(Conversation, conversation_id)
    if conversation is None or not _curated(session, conversation):
        return None
    messages = session.scalars(select(Message).where(Message.conversation_id == conversation_id).order_by(Message.id))
    transcript = []
    withhold_next = False
    for message in messages:
        data = message.data or {}
        source = (data.get("sources") or [{}])[0]
        if message.role == "patient":
            text, withheld = (WITHHELD_PATIENT, True) if withhold_next else (masked(message.text), False)
        elif message.role == "staff":
            text, withheld = WITHHELD_STAFF, True
        else:
            text, withheld = masked(message.text), False
        if message.role != "patient":
            withhold_next = message.role == "staff" or data.get("route") in WITHHELD_AFTER_ROUTES
        transcript.append(
            {
                "role": message.role,
                "text": text,
                "withheld": withheld,
                "at": message.created_at,
                "route": data.get("route") if message.role == "assistant" else None,
                "source": " – ".join(part for part in (source.get("title"), source.get("section_title")) if part),
            }
        )
    return transcript


def group_counts(groups: list[QuestionGroup]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for group in groups:
        counts[group.outcome] += group.count
    return {"Unanswered": counts["Unanswered"], "Handed over": counts["Handed over"]}

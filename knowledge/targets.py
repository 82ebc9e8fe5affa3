"""Which section answers a turn, from what the dialogue understood.

Shared by the answer action and the evaluation, so `make eval` measures
exactly what patients get.
"""

from __future__ import annotations

from dataclasses import dataclass

from knowledge.catalog import GENERAL, GENERAL_TOPICS, TOPICS
from knowledge.names import ProcedureMatcher


@dataclass(frozen=True)
class Target:
    procedure: str | None  # the conversation's procedure after this turn (carried as context)
    topic: str
    owner: str  # whose text answers: the procedure, or the general pages
    no_text: str | None = None  # the message names only this, which no text covers: no text answers

    @property
    def is_general(self) -> bool:
        return self.owner == GENERAL


def topic_of_intent(intent: str | None) -> str | None:
    if intent and intent.startswith("ask_") and intent[4:] in TOPICS:
        return intent[4:]
    return None


def procedure_entities(matcher: ProcedureMatcher, text: str, entities: list[dict]) -> list[str]:
    """The values of the message's `procedure` entities, except one inside a name no text covers: an
    extractor that tags "stent" in "my kidney stent" must not lead to the artery stenting text."""
    values = []
    for entity in entities:
        if entity.get("entity") != "procedure":
            continue
        start, end = entity.get("start"), entity.get("end")
        if isinstance(start, int) and isinstance(end, int) and matcher.inside_no_text(text, start, end):
            continue
        values.append(str(entity.get("value", "")))
    return values


def named_procedures(matcher: ProcedureMatcher, text: str, entity_values: list[str], current: str | None = None) -> list[str]:
    """Procedures the message names, from the entity extractor first, then the names list;
    a family name ("the stent") keeps the conversation's `current` procedure when it is one of the family."""
    found: list[str] = []
    for value in entity_values:
        resolved = matcher.resolve(str(value), context=text, current=current)
        if resolved and resolved not in found:
            found.append(resolved)
    for procedure in matcher.procedures(text, current):
        if procedure not in found:
            found.append(procedure)
    return found


def answer_target(
    matcher: ProcedureMatcher,
    intent: str | None,
    text: str,
    entity_values: list[str],
    current_procedure: str | None,
    current_topic: str | None,
) -> Target:
    """The topic comes from the intent (else the previous turn's), the procedure from this message (else context).

    A message that names no text but something no text covers ("what is a pulmonary embolism?") gets no
    text at all, not the conversation's procedure nor the nearest words; only the general pages' own
    topics (contrast, blood thinners, pregnancy, children) are answered for it."""
    named = named_procedures(matcher, text, entity_values, current_procedure)
    topic = topic_of_intent(intent) or current_topic or "definition"
    unknown = [] if named else matcher.no_text(text, current_procedure)
    if unknown:
        return Target(None, topic, GENERAL, no_text=None if topic in GENERAL_TOPICS else unknown[0])
    procedure = named[-1] if named else current_procedure
    general = topic in GENERAL_TOPICS or not procedure
    return Target(procedure, topic, GENERAL if general else procedure)


# How much the intent's topic counts when ranking the sections of the chosen
# text (times the intent's confidence). Chosen on the tuning set (make eval):
# the section's own retrieval score carries most of the decision.
INTENT_PRIOR = 0.1


def choose_section(retriever, raw, target: Target, intent_topic: str | None, confidence: float, keep_topic: bool):
    """The best section for this question, as a retriever Hit (None if nothing fits).

    With a procedure, its sections (and the general-only topics) are ranked.
    Without one, every text is searched, general pages first; a weak match
    falls back to the general page on the intent's topic. `keep_topic` (the
    patient only named another procedure: "and for a biopsy?") answers the
    same topic as before instead of searching.
    """
    if keep_topic:
        return retriever.rank(raw, [target.owner], target.topic, k=1).top
    prior = {intent_topic: INTENT_PRIOR * confidence} if intent_topic else None
    if target.procedure:
        return retriever.rank(raw, [target.owner], k=1, section_prior=prior).top
    anywhere = retriever.rank(raw, None, k=1, prefer_general=True, section_prior=prior)
    return anywhere.best or retriever.rank(raw, [GENERAL], target.topic, k=1).top

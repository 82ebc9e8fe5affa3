"""action_answer_question: answer a topic question from the curated texts.

The dialogue gives the topic (the intent) and the procedure (named now, or
carried from earlier turns); both are filters, so "when can I drive?" after
"what is embolization?" lands on embolization's driving section.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import services
from actions.hand_over import hand_over_if_asked, say_no_text
from actions.replies import procedure_button, send, send_answer
from actions.slots import slot_changes
from actions.threaded import ThreadedAction
from knowledge.catalog import GENERAL, GENERAL_TOPICS
from knowledge.retriever import IndexUnavailable, RawScores
from knowledge.targets import answer_target, choose_section, named_procedures, procedure_entities, topic_of_intent


def entity_values(tracker: Tracker) -> list[str]:
    """The `procedure` entities' values, without one inside a name no text covers ("stent" in "heart stent")."""
    return procedure_entities(services.matcher(), tracker.latest_message.get("text") or "", tracker.latest_message.get("entities") or [])


def procedures_in_message(tracker: Tracker) -> list[str]:
    """Procedures the latest message names, from the entity extractor and the names list
    ("the stent" in a conversation about carotid stenting stays with carotid stenting)."""
    return named_procedures(
        services.matcher(), tracker.latest_message.get("text") or "", entity_values(tracker), tracker.get_slot("current_procedure")
    )


def likely_procedures(raw: RawScores, topic: str, limit: int = 3) -> list[dict]:
    """Chunks of the procedures whose `topic` section best matches the question."""
    result = services.retriever().rank(raw, topic=topic, k=12)
    seen, chunks = set(), []
    for hit in result.hits:
        if hit.procedure != GENERAL and hit.procedure not in seen:
            seen.add(hit.procedure)
            chunks.append(hit.chunk)
    return chunks[:limit]


class ActionAnswerQuestion(ThreadedAction):
    def name(self) -> str:
        return "action_answer_question"

    def run_blocking(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        site = services.site()
        text = tracker.latest_message.get("text") or ""
        intent_data = tracker.latest_message.get("intent") or {}
        intent = intent_data.get("name")
        target = answer_target(
            services.matcher(),
            intent,
            text,
            entity_values(tracker),
            tracker.get_slot("current_procedure"),
            tracker.get_slot("current_topic"),
        )
        handed_over = hand_over_if_asked(dispatcher, tracker, target.procedure)
        if handed_over is not None:
            return handed_over
        if target.no_text:
            return say_no_text(dispatcher, tracker, target.no_text)
        try:
            retriever = services.retriever()
            raw = services.raw_scores(tracker.sender_id, text)  # embedded once per turn, usually before this call
            hit = choose_section(
                retriever,
                raw,
                target,
                topic_of_intent(intent),
                float(intent_data.get("confidence") or 0.0),
                keep_topic=intent == "inform_procedure",
            )
        except IndexUnavailable:
            hit = None
        if hit is None:
            send(dispatcher, services.say("answer_unavailable", tracker), "fallback", procedure=target.procedure, topic=target.topic)
            services.log_unanswered(tracker.sender_id, text, "no_index", target.procedure)
            return slot_changes(tracker, missed_in_a_row=0)

        procedure = target.procedure or (hit.procedure if hit.procedure != GENERAL else None)
        events = slot_changes(
            tracker, current_topic=hit.section, missed_in_a_row=0, **({"current_procedure": procedure} if procedure else {})
        )
        if procedure or hit.section in GENERAL_TOPICS:
            send_answer(dispatcher, site, hit.chunk, hit.score, services.say("answer_care_team_first", tracker))
        else:
            buttons = [procedure_button(c["procedure"], c["title"]) for c in likely_procedures(raw, hit.section)]
            send_answer(
                dispatcher,
                site,
                hit.chunk,
                hit.score,
                services.say("answer_care_team_first", tracker),
                extra=services.say("answer_ask_which", tracker),
                buttons=buttons,
            )
        return events

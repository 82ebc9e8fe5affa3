"""action_answer_question: answer a topic question from the curated texts.

The dialogue gives the topic (the intent) and the procedure (named now, or
carried from earlier turns); both are filters, so "when can I drive?" after
"what is embolization?" lands on embolization's driving section.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import services
from actions.replies import procedure_button, send, send_answer
from knowledge.catalog import GENERAL, GENERAL_TOPICS, TOPICS
from knowledge.retriever import IndexUnavailable

UNAVAILABLE = ("Sorry, I can't look that up right now. The secretariat can help on {department_phone} "
               "({opening_hours}). If this is an emergency, call {emergency_number} now.")
ASK_WHICH = "I can be more specific if you tell me which procedure you are having:"


def topic_of_intent(intent: str | None) -> str | None:
    if intent and intent.startswith("ask_") and intent[4:] in TOPICS:
        return intent[4:]
    return None


def procedures_in_message(tracker: Tracker) -> list[str]:
    """Procedures the latest message names, from the entity extractor and the names list."""
    matcher = services.matcher()
    found: list[str] = []
    for entity in tracker.latest_message.get("entities", []):
        if entity.get("entity") == "procedure":
            resolved = matcher.resolve(str(entity.get("value", "")))
            if resolved and resolved not in found:
                found.append(resolved)
    for procedure in matcher.procedures(tracker.latest_message.get("text") or ""):
        if procedure not in found:
            found.append(procedure)
    return found


def likely_procedures(query: str, topic: str, limit: int = 3) -> list[dict]:
    """Chunks of the procedures whose `topic` section best matches the question."""
    result = services.retriever().search(query, topic=topic, k=12)
    seen, chunks = set(), []
    for hit in result.hits:
        if hit.procedure != GENERAL and hit.procedure not in seen:
            seen.add(hit.procedure)
            chunks.append(hit.chunk)
    return chunks[:limit]


class ActionAnswerQuestion(Action):
    def name(self) -> str:
        return "action_answer_question"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        site = services.site()
        text = tracker.latest_message.get("text") or ""
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        named = procedures_in_message(tracker)
        procedure = named[-1] if named else tracker.get_slot("current_procedure")
        topic = topic_of_intent(intent) or tracker.get_slot("current_topic") or "definition"
        events = [SlotSet("current_topic", topic), SlotSet("missed_in_a_row", 0)]
        if procedure:
            events.append(SlotSet("current_procedure", procedure))

        try:
            retriever = services.retriever()
            general = topic in GENERAL_TOPICS or not procedure
            chunk = retriever.lookup(GENERAL if general else procedure, topic)
            if chunk is None:
                send(dispatcher, site.fill(UNAVAILABLE), "fallback", procedure=procedure, topic=topic)
                services.log_unanswered(tracker.sender_id, text, "no_section", procedure)
                return events
            score = retriever.search(text, [chunk["procedure"]], chunk["section"], k=1).hits[0].score
            if procedure or topic in GENERAL_TOPICS:
                send_answer(dispatcher, site, chunk, score)
            else:
                buttons = [procedure_button(c["procedure"], c["title"]) for c in likely_procedures(text, topic)]
                send_answer(dispatcher, site, chunk, score, extra=ASK_WHICH, buttons=buttons)
        except IndexUnavailable:
            send(dispatcher, site.fill(UNAVAILABLE), "fallback", procedure=procedure, topic=topic)
            services.log_unanswered(tracker.sender_id, text, "no_index", procedure)
        return events

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
from actions.clinical_worry import own_current_symptom
from actions.contact_form import send_warning_signs
from actions.hand_over import hand_over, hand_over_if_asked, say_no_text
from actions.replies import procedure_button, send, send_answer
from actions.slots import slot_changes
from actions.threaded import ThreadedAction
from knowledge.answer_first import fold, topic_words
from knowledge.catalog import GENERAL, GENERAL_TOPICS
from knowledge.cues import mentions_medicine
from knowledge.languages import REFERENCE
from knowledge.retriever import Hit, IndexUnavailable, RawScores
from knowledge.targets import answer_target, choose_section, named_procedures, procedure_entities, topic_of_intent

# The "Another procedure" button: the procedure intent without a procedure, answered by asking for its name.
ANOTHER_PROCEDURE_PAYLOAD = "/inform_procedure"


def entity_values(tracker: Tracker) -> list[str]:
    """The `procedure` entities' values, without one inside a name no text covers ("stent" in "heart stent")."""
    matcher = services.matcher(services.text_language(tracker))
    return procedure_entities(matcher, tracker.latest_message.get("text") or "", tracker.latest_message.get("entities") or [])


def procedures_in_message(tracker: Tracker) -> list[str]:
    """Procedures the latest message names, from the entity extractor and the names list
    ("the stent" in a conversation about carotid stenting stays with carotid stenting)."""
    return named_procedures(
        services.matcher(services.text_language(tracker)),
        tracker.latest_message.get("text") or "",
        entity_values(tracker),
        tracker.get_slot("current_procedure"),
    )


def likely_procedures(raw: RawScores, topic: str, language: str, limit: int = 3) -> list[dict]:
    """Chunks of the procedures whose `topic` section best matches the question."""
    result = services.retriever(language).rank(raw, topic=topic, k=12)
    seen, chunks = set(), []
    for hit in result.hits:
        if hit.procedure != GENERAL and hit.procedure not in seen:
            seen.add(hit.procedure)
            chunks.append(hit.chunk)
    return chunks[:limit]


def which_procedure_buttons(tracker: Tracker, raw: RawScores, topic: str, language: str) -> list[dict]:
    """The likeliest procedures for this question, then "Another procedure"."""
    buttons = [procedure_button(c["procedure"], c["title"]) for c in likely_procedures(raw, topic, language)]
    return buttons + [{"title": services.say("button_another_procedure", tracker), "payload": ANOTHER_PROCEDURE_PAYLOAD}]


def ask_which_first(dispatcher: CollectingDispatcher, tracker: Tracker, raw: RawScores, topic: str, language: str) -> list[dict]:
    """The patient is asked which procedure first; the topic is kept, so a button (or the procedure's name)
    answers it for that procedure."""
    buttons = which_procedure_buttons(tracker, raw, topic, language)
    send(dispatcher, services.say("answer_ask_which_first", tracker), "clarify", topic=topic, buttons=buttons)
    return slot_changes(tracker, current_topic=topic, missed_in_a_row=0)


def send_section(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    chunk: dict,
    score: float,
    *,
    extra: str = "",
    buttons: list[dict] | None = None,
    lead: str = "",
    raw: RawScores | None = None,
) -> None:
    """A section as the answer, the sentences that answer the question first (knowledge/answer_first.py), its
    {opening_hours} in the text's own language; the first answer of the conversation closes with the
    catalog's care-team reminder. `raw`: the question's scores against the section's own language's index
    (without them, as for a text in another language than the question, the section is sent whole)."""
    care_team_first = "" if reminded(tracker) else services.say("answer_care_team_first", tracker)
    weekdays = services.weekdays_of(chunk)
    folded, more_label = None, ""
    if raw is not None and raw.index.language == chunk.get("language", REFERENCE):
        question = tracker.latest_message.get("text") or ""
        filled = services.fill(chunk)
        folded = fold(filled, question, chunk["section"], raw.index.language, raw.question, topic_words(chunk))
        more_label = services.say("answer_more_about", tracker, section=chunk["section_title"])
    send_answer(
        dispatcher,
        services.site(),
        chunk,
        score,
        care_team_first,
        extra=extra,
        buttons=buttons,
        lead=lead,
        weekdays=weekdays,
        folded=folded,
        more_label=more_label,
    )


def reminded(tracker: Tracker) -> bool:
    """Whether an earlier answer of this conversation (since its session began) closed with the reminder:
    only the first one does."""
    for event in reversed(tracker.events):
        if event.get("event") == "session_started":
            return False
        if event.get("event") == "bot" and ((event.get("data") or {}).get("custom") or {}).get("route") == "answer":
            return True
    return False


def section_for(tracker: Tracker, text: str, target, language: str, intent_topic, confidence: float, intent):
    """(hit, raw scores, language of the hit): the section in the conversation's language, or, where that
    language has no text for it, the English text's section on the dialogue's topic."""
    keep_topic = intent == "inform_procedure"
    if language != REFERENCE:
        loaded = services.retriever(language).index()
        if target.owner == GENERAL or target.owner in loaded.procedures_with_text:
            raw = services.raw_scores(tracker.sender_id, text, language)
            hit = choose_section(services.retriever(language), raw, target, intent_topic, confidence, keep_topic)
            if hit is not None:
                return hit, raw, language
        # The patient's words are not English: the dialogue's topic picks the English section.
        reference = services.retriever(REFERENCE)
        chunk = reference.lookup(target.owner, target.topic) or reference.lookup(GENERAL, target.topic)
        return (Hit(chunk, 0.0, 0.0, 0.0) if chunk else None), None, REFERENCE
    raw = services.raw_scores(tracker.sender_id, text)  # embedded once per turn, usually before this call
    return choose_section(services.retriever(), raw, target, intent_topic, confidence, keep_topic), raw, REFERENCE


class ActionAnswerQuestion(ThreadedAction):
    def name(self) -> str:
        return "action_answer_question"

    def run_blocking(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        text = tracker.latest_message.get("text") or ""
        intent_data = tracker.latest_message.get("intent") or {}
        intent = intent_data.get("name")
        language = services.text_language(tracker)
        target = answer_target(
            services.matcher(language),
            intent,
            text,
            entity_values(tracker),
            tracker.get_slot("current_procedure"),
            tracker.get_slot("current_topic"),
        )
        handed_over = hand_over_if_asked(dispatcher, tracker, target.procedure)
        if handed_over is not None:
            return handed_over
        if own_current_symptom(text):
            events = hand_over(dispatcher, tracker, "symptom", target.procedure)
            send_warning_signs(dispatcher, tracker, text)
            return events
        if target.no_text:
            return say_no_text(dispatcher, tracker, target.no_text)
        if text == ANOTHER_PROCEDURE_PAYLOAD and not target.procedure:
            send(dispatcher, services.say("answer_which_procedure", tracker), "clarify", topic=target.topic)
            return []
        try:
            hit, raw, answered_in = section_for(
                tracker, text, target, language, topic_of_intent(intent), float(intent_data.get("confidence") or 0.0), intent
            )
        except IndexUnavailable:
            hit, raw, answered_in = None, None, language
        if hit is None:
            send(dispatcher, services.say("answer_unavailable", tracker), "fallback", procedure=target.procedure, topic=target.topic)
            services.log_unanswered(tracker.sender_id, text, "no_index", target.procedure)
            return slot_changes(tracker, missed_in_a_row=0)

        if not target.procedure and hit.procedure != GENERAL and hit.section not in GENERAL_TOPICS and raw is not None:
            # No procedure named or known: another procedure's leaflet would be a guess, carried into the next
            # questions. The general pages' section on the topic, with the likeliest procedures offered; without
            # one, the patient is asked which procedure first.
            hit = services.retriever(language).rank(raw, [GENERAL], hit.section, k=1).top or hit
            if hit.procedure != GENERAL:
                return ask_which_first(dispatcher, tracker, raw, hit.section, language)
        procedure = target.procedure or (hit.procedure if hit.procedure != GENERAL else None)
        events = slot_changes(
            tracker, current_topic=hit.section, missed_in_a_row=0, **({"current_procedure": procedure} if procedure else {})
        )
        lead, extra, buttons = "", "", None
        if answered_in != language:
            # No text in the patient's language for this: said so, the English text clearly labelled, and a person.
            lead = services.say("answer_only_in_reference", tracker)
            buttons = [{"title": services.say("button_talk_to_person", tracker), "payload": "/request_human"}]
        elif mentions_medicine(text) or hit.section == "anticoagulants":
            # The general answer; the patient's own medicines are for their team (a dose is handed over earlier).
            extra = services.say("answer_medicines_confirm", tracker)
            buttons = [{"title": services.say("button_ask_about_medicines", tracker), "payload": "/ask_personal_medical"}]
        elif not (procedure or hit.section in GENERAL_TOPICS or raw is None):
            extra = services.say("answer_ask_which", tracker)
            buttons = which_procedure_buttons(tracker, raw, hit.section, language)
        send_section(dispatcher, tracker, hit.chunk, hit.score, extra=extra, buttons=buttons, lead=lead, raw=raw)
        return events

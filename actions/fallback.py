"""action_handle_fallback: the message was not understood with confidence.

First the curated texts are searched directly (a question the classifier was
unsure of may still match one section well). Otherwise the patient is asked
to rephrase, and after a second miss in a row offered the secretariat; a
clinical worry the texts do not answer (actions/clinical_worry.py) is offered
a nurse or doctor instead. Every miss is logged for the curators.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import services
from actions.answer import procedures_in_message, send_section
from actions.clinical_worry import clinical_worry
from actions.hand_over import hand_over, hand_over_if_asked, say_no_text
from actions.replies import send
from actions.slots import slot_changes
from actions.threaded import ThreadedAction
from knowledge.retriever import IndexUnavailable


def suggestions(say: Callable[[str], str]) -> list[dict]:
    """The buttons offered with a request to rephrase; `say` gives a catalog key's sentence."""
    return [
        {"title": say("button_what_is_ir"), "payload": '/ask_definition{"procedure": "interventional radiology"}'},
        {"title": say("button_how_to_prepare"), "payload": "/ask_preparation"},
        {"title": say("button_talk_to_person"), "payload": "/request_human"},
    ]


class ActionHandleFallback(ThreadedAction):
    def name(self) -> str:
        return "action_handle_fallback"

    def run_blocking(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        text = tracker.latest_message.get("text") or ""
        named = procedures_in_message(tracker)
        procedure = named[-1] if named else tracker.get_slot("current_procedure")
        handed_over = hand_over_if_asked(dispatcher, tracker, procedure)
        if handed_over is not None:
            return handed_over
        language = services.text_language(tracker)
        unknown = [] if named else services.matcher(language).no_text(text, procedure)
        if unknown:
            return say_no_text(dispatcher, tracker, unknown[0])
        try:
            raw = services.raw_scores(tracker.sender_id, text, language)
            result = services.retriever(language).rank(
                raw,
                [procedure] if procedure else None,
                k=1,
                prefer_general=not procedure,
            )
            if result.best:
                chunk = result.best.chunk
                send_section(dispatcher, tracker, chunk, result.best.score, raw=raw)
                return slot_changes(
                    tracker,
                    current_procedure=chunk["procedure"] if chunk["procedure"] != "general_ir" else procedure,
                    current_topic=chunk["section"],
                    missed_in_a_row=0,
                )
            reason = "low_confidence"
        except IndexUnavailable:
            reason = "no_index"
        if clinical_worry(text):
            return hand_over(dispatcher, tracker, "symptom", procedure)
        services.log_unanswered(tracker.sender_id, text, reason, procedure)
        missed = int(tracker.get_slot("missed_in_a_row") or 0) + 1
        if missed >= 2:
            send(
                dispatcher,
                services.say("fallback_offer_person", tracker),
                "fallback",
                procedure=procedure,
                buttons=[{"title": services.say("button_talk_to_person", tracker), "payload": "/request_human"}],
            )
        else:
            buttons = suggestions(lambda key: services.say(key, tracker))
            send(dispatcher, services.say("fallback_rephrase", tracker), "fallback", procedure=procedure, buttons=buttons)
        return slot_changes(tracker, missed_in_a_row=missed)

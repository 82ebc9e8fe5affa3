"""The contact form: how the secretariat can reach the patient about a request.

action_start_request  says what will happen, which kind of ticket it is (clinical
                      whenever the patient's words are a clinical worry, whatever
                      the path: actions/clinical_worry.py) and, before the first
                      question, when the secretariat will answer (closed now: when
                      it reopens)
validate_contact_form checks each answer and reads leaving and the summary's
                      answers from the words (actions/form_validation.py)
action_ask_contact_consent  the summary before sending (actions/form_summary.py)
action_submit_request raises the ticket and gives its reference and when
                      the secretariat will answer; a clinical worry told in the
                      form makes it a clinical ticket; after the patient left the
                      form, nothing is sent and the slots are cleared
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import services
from actions.clinical_worry import clinical_worry
from actions.form_input import contact_in
from actions.form_validation import FIELDS, LEFT, ROUTE_OF_KIND
from actions.replies import send, source_of
from knowledge.catalog import GENERAL
from knowledge.retriever import IndexUnavailable
from knowledge.targets import named_procedures

FORM_SLOTS = (*FIELDS, "contact_consent")
KIND_OF_INTENT = {
    "request_booking": "booking",
    "request_reschedule": "booking",
    "request_cancel": "booking",
    "request_admin": "administrative",
    "request_human": "administrative",
    "report_symptom": "clinical",
    "ask_personal_medical": "clinical",
}
CLINICAL_INTENTS = ("report_symptom", "ask_personal_medical")
PHONE_CHANNELS = ("sms", "whatsapp", "whatsapp_twilio")


def split_sender(sender_id: str) -> tuple[str, str]:
    """The gateway sends 'channel:sender' as Rasa's sender id."""
    channel, _, sender = sender_id.partition(":")
    return (channel, sender) if sender else ("web", sender_id)


class ActionStartRequest(Action):
    def name(self) -> str:
        return "action_start_request"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        words = last_words(tracker)
        worry = clinical_worry(words)
        kind = "clinical" if worry else KIND_OF_INTENT.get(intent, "administrative")
        # "Talk to a person" gets what the secretariat does for every kind of request.
        intro = "request_intro_person" if intent == "request_human" and kind != "clinical" else f"request_intro_{kind}"
        # When they will answer comes before the first question: at night a patient may rather call or wait.
        text = f"{services.say(intro, tracker)} {when_answered(tracker)}"
        send(dispatcher, text, ROUTE_OF_KIND[kind], procedure=tracker.get_slot("current_procedure"))
        if intent == "report_symptom" or worry == "symptom":
            send_warning_signs(dispatcher, tracker, words)
        events = [SlotSet(slot, None) for slot in (*FORM_SLOTS, LEFT)] + [SlotSet("request_kind", kind)]
        channel, sender = split_sender(tracker.sender_id)
        if channel in PHONE_CHANNELS and contact_in(sender):
            events.append(SlotSet("contact_method", contact_in(sender)))
        if intent in CLINICAL_INTENTS or worry == "symptom":
            # What they wrote is what the nurse needs to read; no need to ask again.
            events.append(SlotSet("contact_about", words[:500]))
        return events


def send_warning_signs(dispatcher: CollectingDispatcher, tracker: Tracker, words: str) -> None:
    """A patient telling of a symptom is handed to a nurse; until they call, the warning signs of their
    procedure (its `when_to_call` section; without a procedure, the general one) say what would be an
    emergency. Best effort: without an index the hand-over alone is said."""
    language = services.text_language(tracker)
    try:
        retriever = services.retriever(language)
        named = named_procedures(services.matcher(language), words, [], tracker.get_slot("current_procedure"))
        procedure = named[-1] if named else tracker.get_slot("current_procedure")
        chunk = (retriever.lookup(procedure, "when_to_call") if procedure else None) or retriever.lookup(GENERAL, "when_to_call")
    except IndexUnavailable:
        return
    if chunk is None:
        return
    intro = services.say("warning_signs_meanwhile", tracker, title=chunk["title"])
    text = f"{intro}\n\n{services.fill(chunk)}"
    send(dispatcher, text, "escalate_symptom", procedure=chunk["procedure"], topic="when_to_call", sources=[source_of(chunk)])


def now() -> dt.datetime:
    """The clock the form reads (tests set another)."""
    return dt.datetime.now(dt.UTC)


def when_answered(tracker: Tracker) -> str:
    """When the secretariat will answer, in the conversation's language, from the opening hours."""
    return services.messages().when_answered(services.site(), now(), services.language_of(tracker))


def last_words(tracker: Tracker) -> str:
    """The patient's latest message in their own words: a button's payload ("/ask_personal_medical",
    from the hand-over reply) stands for the question before it."""
    for event in reversed(tracker.events):
        text = (event.get("text") or "").strip() if event.get("event") == "user" else ""
        if text and not text.startswith("/"):
            return text
    text = (tracker.latest_message.get("text") or "").strip()
    return "" if text.startswith("/") else text


class ActionSubmitRequest(Action):
    def name(self) -> str:
        return "action_submit_request"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        if tracker.get_slot(LEFT):
            return leave(dispatcher, tracker)
        kind = tracker.get_slot("request_kind") or "administrative"
        if clinical_worry(tracker.get_slot("contact_about") or ""):
            kind = "clinical"
        route = ROUTE_OF_KIND[kind]
        cleared = [SlotSet(slot, None) for slot in (*FORM_SLOTS, "request_kind", LEFT)]
        if not tracker.get_slot("contact_consent"):
            send(dispatcher, services.say("request_not_sent", tracker), route)
            return cleared
        contact = {slot.removeprefix("contact_"): tracker.get_slot(slot) for slot in FORM_SLOTS}
        channel, sender = split_sender(tracker.sender_id)
        try:
            ticket = services.create_ticket(
                channel, sender, kind, contact["about"] or "", contact=contact, route=route, procedure=tracker.get_slot("current_procedure")
            )
        except Exception:
            send(dispatcher, services.say("request_not_saved", tracker), route)
            return cleared
        saved = services.say("request_saved", tracker, reference=ticket.reference)
        text = f"{saved} {when_answered(tracker)}"
        if kind == "clinical":
            text += " " + services.say("request_saved_clinical", tracker)
        send(dispatcher, text, route)
        return cleared


def leave(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict]:
    """The patient left the form (a leave word or the Cancel button): nothing is sent, the slots are cleared."""
    route = ROUTE_OF_KIND.get(tracker.get_slot("request_kind") or "", "smalltalk")
    send(dispatcher, services.say("request_stopped", tracker), route)
    return [SlotSet(slot, None) for slot in (*FORM_SLOTS, "request_kind", LEFT)]

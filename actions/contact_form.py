"""The contact form: how the secretariat can reach the patient about a request.

action_start_request  says what will happen and which kind of ticket it is (clinical
                      whenever the patient's words are a clinical worry, whatever
                      the path: actions/clinical_worry.py)
validate_contact_form checks each answer (phone or e-mail formats, lengths)
action_submit_request raises the ticket and gives its reference and when
                      the secretariat will answer (from the opening hours); a
                      clinical worry told in the form makes it a clinical ticket
action_leave_request  after "stop": nothing is sent, the slots are cleared
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import services
from actions.clinical_worry import clinical_worry
from actions.replies import send, source_of
from knowledge.catalog import GENERAL
from knowledge.retriever import IndexUnavailable
from knowledge.targets import named_procedures

FORM_SLOTS = ("contact_name", "contact_method", "contact_about", "preferred_times", "contact_consent")
KIND_OF_INTENT = {
    "request_booking": "booking",
    "request_reschedule": "booking",
    "request_cancel": "booking",
    "request_admin": "administrative",
    "request_human": "administrative",
    "report_symptom": "clinical",
    "ask_personal_medical": "clinical",
}
ROUTE_OF_KIND = {"booking": "escalate_booking", "administrative": "escalate_admin", "clinical": "escalate_symptom"}
CLINICAL_INTENTS = ("report_symptom", "ask_personal_medical")
PHONE_CHANNELS = ("sms", "whatsapp", "whatsapp_twilio")

STOP_WORDS = {"stop", "cancel", "quit", "exit", "never mind", "nevermind", "forget it"}
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[A-Za-z]{2,}$")
PHONE_CHARACTERS = re.compile(r"^\+?[\d\s().-]{7,25}$")


def split_sender(sender_id: str) -> tuple[str, str]:
    """The gateway sends 'channel:sender' as Rasa's sender id."""
    channel, _, sender = sender_id.partition(":")
    return (channel, sender) if sender else ("web", sender_id)


def normalise_contact(value: str) -> str | None:
    """A valid e-mail address or phone number (7 to 15 digits), cleaned; None if neither."""
    value = value.strip()
    if EMAIL.match(value):
        return value.lower()
    if PHONE_CHARACTERS.match(value):
        digits = re.sub(r"\D", "", value)
        if 7 <= len(digits) <= 15:
            return ("+" if value.startswith("+") else "") + digits
    return None


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
        send(dispatcher, services.say(intro, tracker), ROUTE_OF_KIND[kind], procedure=tracker.get_slot("current_procedure"))
        if intent == "report_symptom" or worry == "symptom":
            send_warning_signs(dispatcher, tracker, words)
        events = [SlotSet(slot, None) for slot in FORM_SLOTS] + [SlotSet("request_kind", kind)]
        channel, sender = split_sender(tracker.sender_id)
        if channel in PHONE_CHANNELS and normalise_contact(sender):
            events.append(SlotSet("contact_method", normalise_contact(sender)))
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
    text = f"{intro}\n\n{services.site().fill(chunk['text'], services.weekdays_of(chunk))}"
    send(dispatcher, text, "escalate_symptom", procedure=chunk["procedure"], topic="when_to_call", sources=[source_of(chunk)])


def last_words(tracker: Tracker) -> str:
    """The patient's latest message in their own words: a button's payload ("/ask_personal_medical",
    from the hand-over reply) stands for the question before it."""
    for event in reversed(tracker.events):
        text = (event.get("text") or "").strip() if event.get("event") == "user" else ""
        if text and not text.startswith("/"):
            return text
    text = (tracker.latest_message.get("text") or "").strip()
    return "" if text.startswith("/") else text


class ValidateContactForm(FormValidationAction):
    def name(self) -> str:
        return "validate_contact_form"

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[str]:
        if tracker.get_slot("request_kind") != "booking":
            return [slot for slot in domain_slots if slot != "preferred_times"]
        return domain_slots

    @staticmethod
    def _is_stop(value: Any) -> bool:
        return isinstance(value, str) and value.strip().lower().strip(".!") in STOP_WORDS

    def validate_contact_name(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        name = " ".join(str(value or "").split())
        if self._is_stop(name) or not re.search(r"[^\W\d_]", name) or len(name) > 80 or len(name.split()) > 6:
            send(
                dispatcher,
                services.say("form_name_again", tracker),
                ROUTE_OF_KIND[tracker.get_slot("request_kind") or "administrative"],
            )
            return {"contact_name": None}
        return {"contact_name": name}

    def validate_contact_method(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        contact = normalise_contact(str(value or ""))
        if contact is None:
            send(
                dispatcher,
                services.say("form_contact_again", tracker),
                ROUTE_OF_KIND[tracker.get_slot("request_kind") or "administrative"],
            )
            return {"contact_method": None}
        return {"contact_method": contact}

    def validate_contact_about(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        about = " ".join(str(value or "").split())
        if self._is_stop(about) or len(about) < 2:
            send(
                dispatcher,
                services.say("form_about_again", tracker),
                ROUTE_OF_KIND[tracker.get_slot("request_kind") or "administrative"],
            )
            return {"contact_about": None}
        return {"contact_about": about[:500]}

    def validate_preferred_times(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        times = " ".join(str(value or "").split())
        if self._is_stop(times) or not times:
            return {"preferred_times": None}
        return {"preferred_times": times[:200]}


class ActionSubmitRequest(Action):
    def name(self) -> str:
        return "action_submit_request"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        site = services.site()
        kind = tracker.get_slot("request_kind") or "administrative"
        if clinical_worry(tracker.get_slot("contact_about") or ""):
            kind = "clinical"
        route = ROUTE_OF_KIND[kind]
        cleared = [SlotSet(slot, None) for slot in (*FORM_SLOTS, "request_kind")]
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
        text = f"{saved} {site.when_answered(dt.datetime.now(dt.UTC))}"
        if kind == "clinical":
            text += " " + services.say("request_saved_clinical", tracker)
        send(dispatcher, text, route)
        return cleared


class ActionLeaveRequest(Action):
    def name(self) -> str:
        return "action_leave_request"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        route = ROUTE_OF_KIND.get(tracker.get_slot("request_kind") or "", "smalltalk")
        send(
            dispatcher,
            services.say("request_stopped", tracker),
            route,
        )
        return [SlotSet(slot, None) for slot in (*FORM_SLOTS, "request_kind")]

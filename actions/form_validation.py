"""validate_contact_form: every message inside the contact form is an answer, checked here.

The slots take any message as text (domain.yml: from_text with no intent condition), so the classifier never
decides what a name or a phone number is; these checks do (actions/form_input.py). Inside the form:
- a leave word or the Cancel button leaves it, whatever question was asked (nothing is sent);
- anything else is the answer to the question: kept if it is one, else the question is asked again;
- the last step is a summary (actions/form_summary.py): send, don't send, or change one field, which is
  cleared and asked again, then the summary comes back.
A message the classifier takes for an emergency also gets the emergency reply first (emergency words are
answered by the gateway before the dialogue). Only bookings ask for preferred times; a clinical request
started by the patient's own words already has what it is about.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import services
from actions.form_input import answer_at_summary, contact_in, name_in, wants_to_leave
from actions.replies import send

ROUTE_OF_KIND = {"booking": "escalate_booking", "administrative": "escalate_admin", "clinical": "escalate_symptom"}
FIELDS = ("contact_name", "contact_method", "contact_about", "preferred_times")
LEFT = "request_left"  # set when the patient left the form: action_submit_request then sends nothing
MAX_ABOUT, MAX_TIMES = 500, 200
PERSON_PAYLOAD = "/request_human"


def route_of(tracker: Tracker) -> str:
    return ROUTE_OF_KIND[tracker.get_slot("request_kind") or "administrative"]


def clean(value: Any) -> str:
    return " ".join(str(value or "").split())


def free_text(text: str, limit: int) -> str | None:
    """Free text as typed, cut to `limit`; None for nothing, a lone character or a button's payload."""
    return text[:limit] if len(text) >= 2 and not text.startswith("/") else None


class ValidateContactForm(FormValidationAction):
    def name(self) -> str:
        return "validate_contact_form"

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[str]:
        if tracker.get_slot(LEFT):
            return []  # no slot left to ask: the form ends
        if tracker.get_slot("request_kind") != "booking":
            return [slot for slot in domain_slots if slot != "preferred_times"]
        return domain_slots

    def _answer(
        self, slot: str, value: Any, read: Callable[[str], str | None], again: str, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> dict[str, Any]:
        """The slot's value as `read` takes it from the message; leaving; or the question again, with why."""
        if value is None:
            # Not an answer: action_start_request clears the slots, and Rasa validates a booking form's cleared
            # slots as it starts (it used to greet a booking with three "please type..." messages).
            return {slot: None}
        text = clean(value)
        if wants_to_leave(text):
            return {slot: None, LEFT: True}
        if (tracker.latest_message.get("intent") or {}).get("name") == "report_emergency":
            # The classifier's reading alone (the gateway's red-flag check, run first, found no emergency words):
            # the emergency reply comes first, and the gateway makes it the emergency number and a nurse's call.
            send(dispatcher, services.say("emergency", tracker), "urgent")
        kept = read(text)
        if kept is None:
            # "Talk to a person" (the widget's header button) while the form is already on its way to one.
            key = "form_already_with_secretariat" if text == PERSON_PAYLOAD else again
            send(dispatcher, services.say(key, tracker), route_of(tracker))
        return {slot: kept}

    def validate_contact_name(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        return self._answer("contact_name", value, name_in, "form_name_again", dispatcher, tracker)

    def validate_contact_method(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        return self._answer("contact_method", value, contact_in, "form_contact_again", dispatcher, tracker)

    def validate_contact_about(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        return self._answer("contact_about", value, lambda text: free_text(text, MAX_ABOUT), "form_about_again", dispatcher, tracker)

    def validate_preferred_times(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self._answer("preferred_times", value, lambda text: free_text(text, MAX_TIMES), "form_times_again", dispatcher, tracker)

    def validate_contact_consent(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is None or isinstance(value, bool):
            return {"contact_consent": value}
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        answer = answer_at_summary(clean(value), intent)
        if answer == "leave":
            return {"contact_consent": None, LEFT: True}
        if answer in ("send", "dont_send"):
            return {"contact_consent": answer == "send"}
        if answer and answer.startswith("change:") and answer.removeprefix("change:") in FIELDS:
            # Cleared, the field is asked again; the summary follows once it is answered.
            return {"contact_consent": None, answer.removeprefix("change:"): None}
        # "That's wrong" without a field, or not an answer: the summary (action_ask_contact_consent) asks again.
        return {"contact_consent": None}

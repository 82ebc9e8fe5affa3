"""action_ask_contact_consent: the contact form's last question is a summary of what will be sent.

The patient sees every answer before anything is sent, and sends it, changes one field (a button each, or
typed: "change my phone number", "the name is wrong") or cancels. After "that's wrong" without a field, the
same buttons come with the question of which detail to change. The answers are the patient's own text: the
widget shows replies as text, never HTML.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import services
from actions.form_input import CHANGE_PAYLOAD, LEAVE_PAYLOAD, SEND_PAYLOAD, asks_to_change, field_to_change
from actions.form_validation import route_of
from actions.replies import send

# field slot -> (catalog key of its label in the summary, catalog key of its Change button)
SHOWN = {
    "contact_name": ("form_label_name", "button_change_name"),
    "contact_method": ("form_label_contact", "button_change_contact"),
    "contact_about": ("form_label_about", "button_change_about"),
    "preferred_times": ("form_label_times", "button_change_times"),
}


def summary_buttons(tracker: Tracker, fields: list[str]) -> list[dict]:
    buttons = [{"title": services.say("button_send", tracker), "payload": SEND_PAYLOAD}]
    buttons += [{"title": services.say(SHOWN[field][1], tracker), "payload": f"{CHANGE_PAYLOAD}{field}"} for field in fields]
    return buttons + [{"title": services.say("button_cancel", tracker), "payload": LEAVE_PAYLOAD}]


def asked_when_patient_wrote(tracker: Tracker) -> str | None:
    """The slot the form was asking for when the patient wrote their latest message."""
    asked = when_written = None
    for event in tracker.events:
        if event.get("event") == "user":
            when_written = asked
        elif event.get("event") == "slot" and event.get("name") == "requested_slot":
            asked = event.get("value")
    return when_written


class ActionAskContactConsent(Action):
    def name(self) -> str:
        return "action_ask_contact_consent"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        fields = [field for field in SHOWN if tracker.get_slot(field)]
        said = (tracker.latest_message.get("text") or "").strip()
        which = asked_when_patient_wrote(tracker) == "contact_consent" and asks_to_change(said) and not field_to_change(said)
        lead = services.say("form_which_change" if which else "form_summary", tracker)
        lines = [f"{services.say(SHOWN[field][0], tracker)} {tracker.get_slot(field)}" for field in fields]
        send(dispatcher, lead + "\n\n" + "\n".join(lines), route_of(tracker), buttons=summary_buttons(tracker, fields))
        return []

"""Questions only a person may answer, caught by their wording before any text is searched.

The classifier sends dose, cost, booking and own-results questions to the
secretariat when it recognises them; one it takes for a topic question ("how
much oramorph is safe after my fibroid embolisation?" as a sedation question)
would otherwise get a section of the texts. The wording check
(knowledge/cues.py) does not depend on the classifier. The patient is told
who can help and gets a button that starts the contact form of the right kind.

A question about something no text covers ("pulmonary embolism", "heart
stent": the texts' `not_names`) is told so, never answered from a text whose
words are near.
"""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import services
from actions.contact_form import ROUTE_OF_KIND
from actions.replies import send
from actions.slots import slot_changes
from knowledge.cues import cues_of

# cue kind -> (contact form kind, the intent whose rule starts that form); what to say is the catalog's
# `hand_over_<kind>` sentence (messages/<language>.yml).
HAND_OVER = {
    "dose": ("clinical", "ask_personal_medical"),
    "own_results": ("clinical", "ask_personal_medical"),
    "cost": ("administrative", "request_admin"),
    "booking": ("booking", "request_booking"),
    "practical": ("administrative", "request_admin"),
    # Not a cue of knowledge/cues.py: the fallback hands a clinical worry it could not answer to a nurse
    # (actions/clinical_worry.py); a question the texts answer is never taken from them for it.
    "symptom": ("clinical", "report_symptom"),
}


def hand_over_if_asked(dispatcher: CollectingDispatcher, tracker: Tracker, procedure: str | None) -> list[dict] | None:
    """Hand the latest message over if only a person may answer it: the events to return, else None."""
    kind = cues_of(tracker.latest_message.get("text") or "").hand_over
    return None if kind is None else hand_over(dispatcher, tracker, kind, procedure)


def hand_over(dispatcher: CollectingDispatcher, tracker: Tracker, kind: str, procedure: str | None) -> list[dict]:
    """Tell the patient who can help with the latest message (a HAND_OVER kind), with the button that asks them."""
    text = tracker.latest_message.get("text") or ""
    form_kind, intent = HAND_OVER[kind]
    send(
        dispatcher,
        services.say(f"hand_over_{kind}", tracker),
        ROUTE_OF_KIND[form_kind],
        procedure=procedure,
        buttons=[{"title": services.say("button_leave_details", tracker), "payload": f"/{intent}"}],
    )
    services.log_unanswered(tracker.sender_id, text, f"hand_over_{kind}", procedure)
    return slot_changes(tracker, missed_in_a_row=0)


def say_no_text(dispatcher: CollectingDispatcher, tracker: Tracker, name: str) -> list[dict]:
    """Tell the patient no text covers `name` (a name from the texts' `not_names`): the events to return.

    The conversation's procedure is let go, so a follow-up question is not answered for the text the
    patient moved away from."""
    text = tracker.latest_message.get("text") or ""
    buttons = [{"title": services.say("button_talk_to_person", tracker), "payload": "/request_human"}]
    send(dispatcher, services.say("no_text", tracker, name=name), "fallback", buttons=buttons)
    services.log_unanswered(tracker.sender_id, text, "no_text", None)
    return slot_changes(tracker, current_procedure=None, missed_in_a_row=0)

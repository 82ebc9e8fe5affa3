"""The contact form actions: starting a request, checking answers, raising the ticket."""

from __future__ import annotations

import asyncio
import json

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions import services
from actions.clinical_worry import clinical_worry
from actions.contact_form import ActionLeaveRequest, ActionStartRequest, ActionSubmitRequest, ValidateContactForm, normalise_contact
from core.config import ROOT
from core.storage.models import Conversation, Ticket

TRACKERS = ROOT / "tests" / "data" / "trackers"
DOMAIN_SLOTS = ["contact_name", "contact_method", "contact_about", "preferred_times", "contact_consent"]


@pytest.fixture(autouse=True)
def action_services(monkeypatch, database_url):
    monkeypatch.setenv("ASSISTANT_DATABASE_URL", database_url)
    for cached in (services.settings, services.database):
        cached.cache_clear()
    yield
    for cached in (services.settings, services.database):
        cached.cache_clear()


def tracker(name: str) -> Tracker:
    return Tracker.from_dict(json.loads((TRACKERS / f"{name}.json").read_text()))


def slots_of(events) -> dict:
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


def test_a_booking_request_explains_and_opens_a_booking_request():
    dispatcher = CollectingDispatcher()
    slots = slots_of(ActionStartRequest().run(dispatcher, tracker("booking_request_on_the_web"), {}))
    [message] = dispatcher.messages
    assert message["custom"]["route"] == "escalate_booking"
    assert services.site().department_phone in message["custom"]["text"]
    assert slots["request_kind"] == "booking"
    assert "contact_method" not in slots or slots["contact_method"] is None


def test_a_symptom_by_sms_never_gets_advice_and_reuses_the_number_and_the_message():
    dispatcher = CollectingDispatcher()
    slots = slots_of(ActionStartRequest().run(dispatcher, tracker("symptom_reported_by_sms"), {}))
    [message] = dispatcher.messages
    assert message["custom"]["route"] == "escalate_symptom"
    assert "can't give advice" in message["custom"]["text"]
    assert services.site().emergency_number in message["custom"]["text"]
    assert slots["request_kind"] == "clinical"
    assert slots["contact_method"] == "+447700900123"
    assert slots["contact_about"] == "my wound is a bit red since yesterday"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("07700 900123", "07700900123"),
        ("+44 (0)20 7946-0000", "+4402079460000"),
        ("Sam@Example.org", "sam@example.org"),
        ("12", None),
        ("call me", None),
        ("sam@", None),
        ("1" * 20, None),
    ],
)
def test_contact_details_must_be_a_phone_number_or_an_email(typed, expected):
    assert normalise_contact(typed) == expected


def test_an_invalid_contact_is_asked_again():
    dispatcher = CollectingDispatcher()
    result = ValidateContactForm().validate_contact_method("not sure", dispatcher, tracker("admin_form_asking_for_contact"), {})
    assert result == {"contact_method": None}
    assert "phone number or an e-mail" in dispatcher.messages[0]["custom"]["text"]
    assert dispatcher.messages[0]["custom"]["route"] == "escalate_admin"


@pytest.mark.parametrize("name", ["stop", "1234", "x" * 81, "my name is not something I want to give you now"])
def test_a_name_that_is_not_a_name_is_asked_again(name):
    dispatcher = CollectingDispatcher()
    assert ValidateContactForm().validate_contact_name(name, dispatcher, tracker("admin_form_asking_for_contact"), {}) == {
        "contact_name": None
    }


def test_only_bookings_ask_for_preferred_times():
    form = ValidateContactForm()
    booking = asyncio.run(form.required_slots(DOMAIN_SLOTS, CollectingDispatcher(), tracker("booking_form_completed"), {}))
    clinical = asyncio.run(form.required_slots(DOMAIN_SLOTS, CollectingDispatcher(), tracker("clinical_form_asking_for_contact"), {}))
    assert "preferred_times" in booking and "preferred_times" not in clinical


def test_a_completed_form_raises_a_ticket_with_the_contact_details_and_gives_its_reference(database):
    dispatcher = CollectingDispatcher()
    slots = slots_of(ActionSubmitRequest().run(dispatcher, tracker("booking_form_completed"), {}))
    with database.session() as session:
        [ticket] = session.scalars(select(Ticket)).all()
        conversation = session.get(Conversation, ticket.conversation_id)
        assert (conversation.channel, conversation.sender_key) == ("web", "patient-2")
        assert (ticket.kind, ticket.route, ticket.procedure) == ("booking", "escalate_booking", "image_guided_biopsy")
        assert ticket.contact["name"] == "Sam Jones" and ticket.contact["method"] == "+447700900123"
        assert ticket.contact["preferred_times"] == "mornings"
        reference = ticket.reference
    text = dispatcher.messages[0]["custom"]["text"]
    assert reference in text and "secretariat" in text
    assert all(value is None for value in slots.values())


def test_without_consent_no_ticket_is_raised(database):
    dispatcher = CollectingDispatcher()
    ActionSubmitRequest().run(dispatcher, tracker("booking_form_completed_without_consent"), {})
    with database.session() as session:
        assert session.scalars(select(Ticket)).all() == []
    assert "haven't passed anything on" in dispatcher.messages[0]["custom"]["text"]


def test_leaving_the_form_clears_it_and_says_nothing_was_sent():
    dispatcher = CollectingDispatcher()
    slots = slots_of(ActionLeaveRequest().run(dispatcher, tracker("booking_form_completed"), {}))
    assert "nothing has been sent" in dispatcher.messages[0]["custom"]["text"]
    assert slots["contact_name"] is None and slots["request_kind"] is None


def test_a_clinical_request_started_from_a_button_keeps_the_patients_own_question():
    state = json.loads((TRACKERS / "symptom_reported_by_sms.json").read_text())
    question = "how much oramorph can i take after my embolisation"
    state["events"] = [
        {"event": "user", "text": question},
        {"event": "bot", "text": "I can't advise on medicine doses."},
        {"event": "user", "text": "/ask_personal_medical"},
    ]
    state["latest_message"] = {
        "text": "/ask_personal_medical",
        "intent": {"name": "ask_personal_medical", "confidence": 1.0},
        "entities": [],
    }
    slots = slots_of(ActionStartRequest().run(CollectingDispatcher(), Tracker.from_dict(state), {}))
    assert slots["contact_about"] == question


def started_from(events: list[tuple[str, str]], intent: str) -> tuple[list[dict], dict]:
    """ActionStartRequest after the patient's messages `events` ((text, intent) each), the last one starting it."""
    state = json.loads((TRACKERS / "booking_request_on_the_web.json").read_text())
    state["events"] = [{"event": "user", "text": text, "parse_data": {"intent": {"name": name}}} for text, name in events]
    state["latest_message"] = {"text": events[-1][0], "intent": {"name": intent, "confidence": 1.0}, "entities": []}
    dispatcher = CollectingDispatcher()
    slots = slots_of(ActionStartRequest().run(dispatcher, Tracker.from_dict(state), {}))
    return dispatcher.messages, slots


@pytest.mark.parametrize("asked", ["can a nurse call me", "I'd like to speak to a doctor about my procedure"])
def test_asking_for_a_nurse_or_doctor_opens_a_clinical_request_that_asks_what_it_is_about(asked):
    [message], slots = started_from([(asked, "request_human")], "request_human")
    assert slots["request_kind"] == "clinical" and message["custom"]["route"] == "escalate_symptom"
    assert "nurse or doctor" in message["custom"]["text"]
    assert slots.get("contact_about") is None  # asked in the form: "can a nurse call me" says nothing of why


def test_talk_to_a_person_after_a_symptom_opens_a_clinical_request_with_the_patients_words():
    worry = "my arm is swollen and red"
    [message], slots = started_from([(worry, "nlu_fallback"), ("/request_human", "request_human")], "request_human")
    assert slots["request_kind"] == "clinical" and message["custom"]["route"] == "escalate_symptom"
    assert slots["contact_about"] == worry


def test_talk_to_a_person_says_what_the_secretariat_does_for_every_kind_of_request():
    [message], slots = started_from([("Talk to a person", "request_human")], "request_human")
    text = message["custom"]["text"]
    for task in ("appointments", "nurses and doctors", "paperwork", "bills"):
        assert task in text
    assert services.site().emergency_number in text and services.site().department_phone in text
    assert slots["request_kind"] == "administrative"


@pytest.mark.parametrize("kind", ["booking", "administrative"])
def test_a_symptom_told_in_a_booking_or_administrative_form_raises_a_clinical_ticket(database, kind):
    state = json.loads((TRACKERS / "booking_form_completed.json").read_text())
    state["slots"].update(request_kind=kind, contact_about="my arm is swollen and red since the biopsy")
    dispatcher = CollectingDispatcher()
    ActionSubmitRequest().run(dispatcher, Tracker.from_dict(state), {})
    with database.session() as session:
        [ticket] = session.scalars(select(Ticket)).all()
        assert (ticket.kind, ticket.route) == ("clinical", "escalate_symptom")
    assert services.site().emergency_number in dispatcher.messages[0]["custom"]["text"]


@pytest.mark.parametrize(
    ("text", "worry"),
    [
        ("my arm is swollen and red", "symptom"),
        ("I have a fever since yesterday", "symptom"),
        ("the wound is leaking", "symptom"),
        ("my dad feels awful since the procedure", "symptom"),
        ("can a nurse call me", "callback"),
        ("could the doctor ring me back", "callback"),
        ("is swelling normal after an embolisation?", None),
        ("I want to change my appointment", None),
        ("Maria Lopez", None),
        ("I need a sick note", None),
        ("I need a letter from my doctor", None),
        ("Talk to a person", None),
        ("how much will I have to pay", None),
    ],
)
def test_a_clinical_worry_is_the_patients_own_symptom_or_a_wish_to_hear_from_a_clinician(text, worry):
    assert clinical_worry(text) == worry


@pytest.mark.parametrize(
    "message",
    [
        "the place where the port went in is still tender after ten days",
        "my blood pressure has been up since the procedure",
        "My husband had a catheterization three days ago and now he has a bump bigger than a grape",
        "she is still having pain and swelling a week after the embolisation",
    ],
)
def test_a_symptom_under_way_is_told_from_a_question_about_symptoms(message):
    from actions.clinical_worry import own_current_symptom

    assert own_current_symptom(message)


@pytest.mark.parametrize(
    "message",
    [
        "is bruising normal after a biopsy?",
        "will I be sore after the embolization?",
        "I'm having a biopsy next week, will it be painful?",
        "how long will the swelling last after a fibroid embolisation?",
        "my mum is having an angiogram tomorrow, will she be in pain?",
    ],
)
def test_a_question_about_symptoms_in_general_or_later_is_not_a_symptom_under_way(message):
    from actions.clinical_worry import own_current_symptom

    assert not own_current_symptom(message)

"""The contact form actions: starting a request, checking answers, raising the ticket."""

from __future__ import annotations

import asyncio
import datetime as dt
import json

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions import contact_form, services
from actions.clinical_worry import clinical_worry
from actions.contact_form import ActionStartRequest, ActionSubmitRequest
from actions.form_summary import ActionAskContactConsent
from actions.form_validation import ValidateContactForm
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


def form_state(name: str, **slots) -> dict:
    """A tracker fixture's state with some slots changed."""
    state = json.loads((TRACKERS / f"{name}.json").read_text())
    state["slots"].update(slots)
    return state


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
    message = dispatcher.messages[0]  # then its warning signs, when an index is there (tests/test_actions.py)
    assert message["custom"]["route"] == "escalate_symptom"
    assert "can't give advice" in message["custom"]["text"]
    assert services.site().emergency_number in message["custom"]["text"]
    assert slots["request_kind"] == "clinical"
    assert slots["contact_method"] == "+447700900123"
    assert slots["contact_about"] == "my wound is a bit red since yesterday"


def test_an_invalid_contact_is_asked_again():
    dispatcher = CollectingDispatcher()
    result = ValidateContactForm().validate_contact_method("not sure", dispatcher, tracker("admin_form_asking_for_contact"), {})
    assert result == {"contact_method": None}
    assert "phone number or an e-mail" in dispatcher.messages[0]["custom"]["text"]
    assert dispatcher.messages[0]["custom"]["route"] == "escalate_admin"


@pytest.mark.parametrize("name", ["1234", "x" * 81, "my name is not something I want to give you now", "I want to change my appointment"])
def test_a_name_that_is_not_a_name_is_asked_again(name):
    dispatcher = CollectingDispatcher()
    assert ValidateContactForm().validate_contact_name(name, dispatcher, tracker("admin_form_asking_for_contact"), {}) == {
        "contact_name": None
    }
    assert "name the secretariat should use" in dispatcher.messages[0]["custom"]["text"]


@pytest.mark.parametrize("name", ["Maria Lopez", "John Smith", "Jean Dupont", "José García"])
def test_a_name_is_kept_whatever_the_classifier_made_of_it(name):
    dispatcher = CollectingDispatcher()
    state = form_state("admin_form_asking_for_contact", requested_slot="contact_name")
    state["latest_message"]["intent"] = {"name": "stop", "confidence": 0.9}  # as the classifier took "Maria Lopez"
    assert ValidateContactForm().validate_contact_name(name, dispatcher, Tracker.from_dict(state), {}) == {"contact_name": name}
    assert dispatcher.messages == []


@pytest.mark.parametrize(
    ("slot", "typed"), [("contact_name", "stop"), ("contact_method", "Cancel"), ("contact_about", "annuler"), ("contact_consent", "/stop")]
)
def test_a_leave_word_or_the_cancel_button_leaves_the_form_at_any_question(slot, typed):
    dispatcher = CollectingDispatcher()
    state = form_state("booking_form_completed", requested_slot=slot, **{slot: None})
    result = getattr(ValidateContactForm(), f"validate_{slot}")(typed, dispatcher, Tracker.from_dict(state), {})
    assert result[slot] is None and result["request_left"] is True
    assert dispatcher.messages == []
    state["slots"].update(result)
    assert asyncio.run(ValidateContactForm().required_slots(DOMAIN_SLOTS, dispatcher, Tracker.from_dict(state), {})) == []


def test_the_cleared_slots_a_booking_form_starts_with_are_not_answers():
    """Rasa validates the slots action_start_request cleared as a booking form starts: no "please type" for them."""
    dispatcher = CollectingDispatcher()
    form, state = ValidateContactForm(), Tracker.from_dict(form_state("booking_request_on_the_web", request_kind="booking"))
    for slot in DOMAIN_SLOTS:
        assert getattr(form, f"validate_{slot}")(None, dispatcher, state, {}) == {slot: None}
    assert dispatcher.messages == []


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


def test_leaving_the_form_clears_it_and_says_nothing_was_sent(database):
    dispatcher = CollectingDispatcher()
    state = form_state("booking_form_completed", request_left=True)
    slots = slots_of(ActionSubmitRequest().run(dispatcher, Tracker.from_dict(state), {}))
    assert "nothing has been sent" in dispatcher.messages[0]["custom"]["text"]
    assert slots["contact_name"] is None and slots["request_kind"] is None and slots["request_left"] is None
    with database.session() as session:
        assert session.scalars(select(Ticket)).all() == []


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
    (message, *_), slots = started_from([(worry, "nlu_fallback"), ("/request_human", "request_human")], "request_human")
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


# The secretariat's hours (site.yml, Europe/London): Monday to Thursday 08:00-17:00, Friday 08:00-16:00.
SATURDAY_NIGHT = dt.datetime(2026, 12, 5, 22, 0, tzinfo=dt.UTC)
TUESDAY_MORNING = dt.datetime(2026, 12, 8, 10, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("now", "told"),
    [
        (SATURDAY_NIGHT, "The secretariat is closed now: it reopens on Monday at 08:00"),
        (TUESDAY_MORNING, "The secretariat is open now"),
    ],
)
def test_before_the_first_question_the_patient_is_told_when_the_secretariat_will_answer(monkeypatch, now, told):
    monkeypatch.setattr(contact_form, "now", lambda: now)
    dispatcher = CollectingDispatcher()
    ActionStartRequest().run(dispatcher, tracker("booking_request_on_the_web"), {})
    [intro] = dispatcher.messages
    assert told in intro["custom"]["text"]


@pytest.mark.parametrize(
    ("language", "now", "told"),
    [
        ("en", dt.datetime(2026, 12, 7, 6, 0, tzinfo=dt.UTC), "it reopens today at 08:00"),
        ("en", dt.datetime(2026, 12, 7, 20, 0, tzinfo=dt.UTC), "it reopens tomorrow at 08:00"),
        ("fr", SATURDAY_NIGHT, "Le secrétariat est fermé pour le moment : il rouvre lundi à 08:00"),
        ("es", SATURDAY_NIGHT, "La secretaría está cerrada ahora: vuelve a abrir el lunes a las 08:00"),
        ("fr", TUESDAY_MORNING, "Le secrétariat est ouvert"),
        ("es", TUESDAY_MORNING, "La secretaría está abierta"),
    ],
)
def test_when_the_secretariat_answers_is_said_in_the_patients_language(language, now, told):
    assert told in services.messages().when_answered(services.site(), now, language)


def consent_state(**slots) -> dict:
    return form_state("booking_form_completed", contact_consent=None, requested_slot="contact_consent", **slots)


def test_the_summary_shows_every_answer_and_a_button_to_send_change_each_one_or_cancel():
    dispatcher = CollectingDispatcher()
    ActionAskContactConsent().run(dispatcher, Tracker.from_dict(consent_state()), {})
    [summary] = dispatcher.messages
    text = summary["custom"]["text"]
    for shown in ("Name: Sam Jones", "Phone or e-mail: +447700900123", "About: my liver biopsy", "Best times: mornings"):
        assert shown in text
    payloads = [b["payload"] for b in summary["custom"]["buttons"]]
    assert payloads == [
        "/affirm",
        "change:contact_name",
        "change:contact_method",
        "change:contact_about",
        "change:preferred_times",
        "/stop",
    ]
    assert summary["custom"]["route"] == "escalate_booking"


def test_after_thats_wrong_the_summary_asks_which_detail():
    state = consent_state()
    state["latest_message"] = {"text": "that's wrong", "intent": {"name": "deny", "confidence": 0.9}, "entities": []}
    state["events"] = [
        {"event": "slot", "name": "requested_slot", "value": "contact_consent"},
        {"event": "user", "text": "that's wrong"},
    ]
    dispatcher = CollectingDispatcher()
    ActionAskContactConsent().run(dispatcher, Tracker.from_dict(state), {})
    assert dispatcher.messages[0]["custom"]["text"].startswith("Which detail would you like to change?")


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("change my phone number", {"contact_consent": None, "contact_method": None}),
        ("change:contact_name", {"contact_consent": None, "contact_name": None}),
        ("the e-mail is wrong", {"contact_consent": None, "contact_method": None}),
        ("that's wrong", {"contact_consent": None}),
        ("/affirm", {"contact_consent": True}),
        ("no", {"contact_consent": False}),
    ],
)
def test_at_the_summary_a_field_is_changed_or_the_request_sent_or_not(typed, expected):
    state = consent_state()
    state["latest_message"] = {"text": typed, "intent": {"name": "out_of_scope", "confidence": 0.5}, "entities": []}
    result = ValidateContactForm().validate_contact_consent(typed, CollectingDispatcher(), Tracker.from_dict(state), {})
    assert result == expected


def test_a_changed_field_is_asked_again_and_then_the_summary():
    state = consent_state(contact_method=None)
    required = asyncio.run(ValidateContactForm().required_slots(DOMAIN_SLOTS, CollectingDispatcher(), Tracker.from_dict(state), {}))
    missing = [slot for slot in required if state["slots"][slot] is None]
    assert missing == ["contact_method", "contact_consent"]


def test_a_message_only_the_classifier_takes_for_an_emergency_gets_the_emergency_reply_first_and_stays_an_answer():
    state = form_state("booking_form_completed", requested_slot="contact_about", contact_about=None)
    state["latest_message"] = {"text": "I feel really unwell", "intent": {"name": "report_emergency", "confidence": 0.8}, "entities": []}
    dispatcher = CollectingDispatcher()
    result = ValidateContactForm().validate_contact_about("I feel really unwell", dispatcher, Tracker.from_dict(state), {})
    assert dispatcher.messages[0]["custom"]["route"] == "urgent"
    assert result == {"contact_about": "I feel really unwell"}


def test_talk_to_a_person_inside_the_form_says_the_form_is_on_its_way_to_one_and_asks_again():
    dispatcher = CollectingDispatcher()
    result = ValidateContactForm().validate_contact_name("/request_human", dispatcher, tracker("admin_form_asking_for_contact"), {})
    assert result == {"contact_name": None}
    assert dispatcher.messages[0]["custom"]["text"].startswith("I'm collecting your details for the secretariat now.")


def test_every_question_of_the_form_names_the_field_it_asks_for():
    """domain.yml's utter_ask_<field> responses carry `asks: <field>` in their custom payload (the widget's
    input hint, README "Chat API"); the form's fields are the ones the reply format knows."""
    from assistant.replies import FORM_FIELDS

    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    typed = [slot for slot in domain["forms"]["contact_form"]["required_slots"] if slot != "contact_consent"]
    assert sorted(typed) == sorted(FORM_FIELDS)
    for field in FORM_FIELDS:
        variants = domain["responses"][f"utter_ask_{field}"]
        assert variants and [variant["custom"].get("asks") for variant in variants] == [field] * len(variants)
    others = [name for name in domain["responses"] if not name.startswith("utter_ask_")]
    assert [name for name in others for variant in domain["responses"][name] if "asks" in (variant.get("custom") or {})] == []

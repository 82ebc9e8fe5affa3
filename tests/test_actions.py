"""The custom actions, run with rasa-sdk trackers named after the situation they describe."""

from __future__ import annotations

import asyncio
import json

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions import services
from actions.answer import ActionAnswerQuestion
from actions.fallback import ActionHandleFallback
from core.config import ROOT
from core.storage.models import UnansweredQuestion

TRACKERS = ROOT / "tests" / "data" / "trackers"


@pytest.fixture(autouse=True)
def action_services(point_actions_at, knowledge_slice):
    point_actions_at(*knowledge_slice)


def tracker(name: str) -> Tracker:
    return Tracker.from_dict(json.loads((TRACKERS / f"{name}.json").read_text()))


def run(action, name: str | Tracker):
    """The messages the action sends, and the slots as they are after its events."""
    dispatcher = CollectingDispatcher()
    before = tracker(name) if isinstance(name, str) else name
    events = asyncio.run(action.run(dispatcher, before, {}))
    return dispatcher.messages, {**before.slots, **{e["name"]: e["value"] for e in events if e["event"] == "slot"}}


def message_in_conversation(text: str, intent: str, confidence: float, procedure: str | None = None) -> Tracker:
    """A tracker whose latest message is `text`, classified as `intent`, in a conversation about `procedure`."""
    state = json.loads((TRACKERS / "asked_what_is_embolization.json").read_text())
    state["latest_message"] = {"text": text, "intent": {"name": intent, "confidence": confidence}, "entities": []}
    state["slots"]["current_procedure"] = procedure
    return Tracker.from_dict(state)


def data(message: dict) -> dict:
    return message["custom"]


def text(message: dict) -> str:
    return message["custom"]["text"]


def buttons(message: dict) -> list[dict]:
    return message["custom"]["buttons"]


def test_a_named_procedure_gets_its_definition_with_the_source():
    [message], slots = run(ActionAnswerQuestion(), "asked_what_is_embolization")
    assert data(message)["route"] == "answer"
    assert (data(message)["procedure"], data(message)["topic"]) == ("embolization", "definition")
    assert data(message)["sources"] == [
        {
            "doc": "embolization",
            "section": "definition",
            "section_title": "What it is",
            "title": "Embolization",
            "status": "draft",
            "reviewed": None,
            "language": "en",
        }
    ]
    assert "care team's instructions come first" in text(message)
    assert slots["current_procedure"] == "embolization" and slots["current_topic"] == "definition"


def test_a_follow_up_uses_the_procedure_from_earlier_turns():
    [message], slots = run(ActionAnswerQuestion(), "follow_up_driving_after_embolization")
    assert (data(message)["procedure"], data(message)["topic"]) == ("embolization", "driving")
    assert slots["current_topic"] == "driving"


def test_a_topic_without_a_procedure_answers_from_the_general_page_and_offers_procedures():
    [message], slots = run(ActionAnswerQuestion(), "topic_without_procedure")
    assert (data(message)["procedure"], data(message)["topic"]) == ("general_ir", "preparation")
    assert "which procedure" in text(message)
    *likeliest, another = buttons(message)
    assert 1 <= len(likeliest) <= 3
    assert all(b["payload"].startswith("/inform_procedure{") for b in likeliest)
    assert another["title"] == "Another procedure"
    assert slots["current_procedure"] is None


def test_a_follow_up_sets_only_the_slots_it_changes():
    events = asyncio.run(ActionAnswerQuestion().run(CollectingDispatcher(), tracker("follow_up_driving_after_embolization"), {}))
    # The procedure stays embolization and no miss is counted: only the topic moves on.
    assert events == [{"event": "slot", "timestamp": None, "name": "current_topic", "value": "driving"}]


def test_a_general_topic_is_answered_from_the_general_page_and_keeps_the_procedure():
    [message], slots = run(ActionAnswerQuestion(), "general_topic_during_embolization")
    assert (data(message)["procedure"], data(message)["topic"]) == ("general_ir", "contrast_allergy")
    assert slots["current_procedure"] == "embolization"


def test_naming_another_procedure_answers_the_same_topic_for_it():
    [message], slots = run(ActionAnswerQuestion(), "switch_to_biopsy_after_angiogram_duration")
    assert (data(message)["procedure"], data(message)["topic"]) == ("image_guided_biopsy", "duration")
    assert slots["current_procedure"] == "image_guided_biopsy"


def test_a_lay_term_is_recognised_even_without_an_entity():
    [message], _ = run(ActionAnswerQuestion(), "lay_term_without_entity")
    assert (data(message)["procedure"], data(message)["topic"]) == ("nephrostomy", "driving")


def test_the_department_facts_are_filled_into_answers():
    [message], _ = run(ActionAnswerQuestion(), "follow_up_driving_after_embolization")
    assert "{" not in text(message)


def test_a_first_miss_asks_to_rephrase_and_is_logged(database):
    [message], slots = run(ActionHandleFallback(), "unclear_first_miss")
    assert data(message)["route"] == "fallback"
    assert "another way" in text(message) and buttons(message)
    assert slots["missed_in_a_row"] == 1
    with database.session() as session:
        logged = session.scalars(select(UnansweredQuestion)).all()
        assert [(q.text, q.reason) for q in logged] == [("blorp florp the zibble", "low_confidence")]


def test_a_second_miss_in_a_row_offers_the_secretariat():
    [message], slots = run(ActionHandleFallback(), "unclear_second_miss")
    assert data(message)["route"] == "fallback"
    assert services.site().department_phone in text(message)
    assert services.site().emergency_number in text(message)
    assert buttons(message) == [{"title": "Talk to a person", "payload": "/request_human"}]
    assert slots["missed_in_a_row"] == 2


def test_an_unclear_message_that_matches_a_section_well_is_answered():
    [message], slots = run(ActionHandleFallback(), "unclear_but_answerable_with_context")
    assert data(message)["route"] == "answer"
    assert (data(message)["procedure"], data(message)["topic"]) == ("image_guided_biopsy", "return_to_activity")
    assert slots["missed_in_a_row"] == 0


def test_without_an_index_the_patient_is_told_whom_to_call(monkeypatch, tmp_path):
    monkeypatch.setenv("ASSISTANT_INDEX_DIR", str(tmp_path / "missing"))
    services.settings.cache_clear()
    services.retriever.cache_clear()
    [message], _ = run(ActionAnswerQuestion(), "asked_what_is_embolization")
    assert data(message)["route"] == "fallback"
    assert services.site().department_phone in text(message)


@pytest.mark.parametrize(
    ("question", "intent", "route", "payload", "reason"),
    [
        (
            "how much oramorph is safe to take for the pain after my fibroid embolisation",
            "ask_sedation",
            "escalate_symptom",
            "/ask_personal_medical",
            "hand_over_dose",
        ),
        (
            "my biopsy report says atypical cells, does that mean i have cancer",
            "ask_results",
            "escalate_symptom",
            "/ask_personal_medical",
            "hand_over_own_results",
        ),
        ("will my insurance cover the y90 treatment", "ask_reasons", "escalate_admin", "/request_admin", "hand_over_cost"),
        (
            "is there parking near the department for my fibroid embolisation",
            "ask_procedure_day",
            "escalate_admin",
            "/request_admin",
            "hand_over_practical",
        ),
    ],
)
def test_a_question_only_a_person_may_answer_is_handed_over_even_if_taken_for_a_topic(database, question, intent, route, payload, reason):
    [message], slots = run(ActionAnswerQuestion(), message_in_conversation(question, intent, 0.9, "embolization"))
    assert data(message)["route"] == route
    assert data(message)["sources"] == [] and data(message)["topic"] is None
    assert buttons(message) == [{"title": "Leave my details", "payload": payload}]
    assert services.site().department_phone in text(message) or services.site().emergency_number in text(message)
    with database.session() as session:
        assert [(q.text, q.reason) for q in session.scalars(select(UnansweredQuestion))] == [(question, reason)]


def test_an_unclear_booking_request_is_handed_over_instead_of_answered_from_a_text():
    question = "can i move my biopsy appointment to next week, im away on thursday"
    [message], slots = run(ActionHandleFallback(), message_in_conversation(question, "nlu_fallback", 0.3))
    assert data(message)["route"] == "escalate_booking"
    assert buttons(message) == [{"title": "Leave my details", "payload": "/request_booking"}]
    assert slots["missed_in_a_row"] == 0


def test_an_unclear_clinical_worry_the_texts_cannot_answer_is_offered_a_nurse(database):
    worry = "my husband has a temperature"
    [message], slots = run(ActionHandleFallback(), message_in_conversation(worry, "nlu_fallback", 0.3))
    assert data(message)["route"] == "escalate_symptom"
    assert "nurse or doctor" in text(message) and services.site().emergency_number in text(message)
    assert buttons(message) == [{"title": "Leave my details", "payload": "/report_symptom"}]
    with database.session() as session:
        assert [(q.text, q.reason) for q in session.scalars(select(UnansweredQuestion))] == [(worry, "hand_over_symptom")]


def in_language(name: str, language: str) -> Tracker:
    """The tracker `name`, its latest message sent by the gateway with the conversation's `language`."""
    state = json.loads((TRACKERS / f"{name}.json").read_text())
    state["latest_message"]["metadata"] = {"channel": "web", "language": language}
    return Tracker.from_dict(state)


def test_the_actions_speak_the_conversations_language_from_the_catalog():
    [message], _ = run(ActionHandleFallback(), in_language("unclear_second_miss", "fr"))
    assert text(message).startswith("Désolé, je ne peux toujours pas répondre")
    assert services.site().emergency_number in text(message) and "{" not in text(message)
    assert buttons(message) == [{"title": "Parler à quelqu'un", "payload": "/request_human"}]
    [message], _ = run(ActionHandleFallback(), in_language("unclear_first_miss", "es"))
    assert text(message).startswith("Lo siento, no estoy seguro")
    assert [b["title"] for b in buttons(message)][-1] == "Hablar con una persona"


def test_a_language_without_a_catalog_gets_the_english_sentence():
    [english], _ = run(ActionHandleFallback(), "unclear_second_miss")
    [unknown], _ = run(ActionHandleFallback(), in_language("unclear_second_miss", "xx"))
    assert text(unknown) == text(english)


def start_request(told: Tracker):
    """action_start_request (a plain, not threaded, action): its messages and the slots after it."""
    from actions.contact_form import ActionStartRequest

    dispatcher = CollectingDispatcher()
    events = ActionStartRequest().run(dispatcher, told, {})
    return dispatcher.messages, {**told.slots, **{e["name"]: e["value"] for e in events if e["event"] == "slot"}}


def test_a_patient_telling_of_a_symptom_is_handed_over_with_their_procedures_warning_signs():
    told = message_in_conversation("the place where they went in is still sore and a bit red", "report_symptom", 0.9, "embolization")
    messages, slots = start_request(told)
    assert [data(m)["route"] for m in messages] == ["escalate_symptom", "escalate_symptom"]
    signs = data(messages[1])
    assert (signs["procedure"], signs["topic"]) == ("embolization", "when_to_call")
    assert signs["sources"][0]["doc"] == "embolization"
    assert "{" not in signs["text"] and services.site().emergency_number in signs["text"]
    assert slots["request_kind"] == "clinical"


def test_a_symptom_without_a_procedure_gets_the_general_warning_signs():
    told = message_in_conversation("my blood pressure has been up since the procedure", "report_symptom", 0.9, None)
    messages, _ = start_request(told)
    assert data(messages[1])["sources"][0]["doc"] == "general_aftercare"


def test_a_booking_request_gets_no_warning_signs():
    messages, _ = start_request(message_in_conversation("can I change my date?", "request_reschedule", 0.9, "embolization"))
    assert [data(m)["route"] for m in messages] == ["escalate_booking"]


def test_a_general_question_about_medicines_gets_the_texts_answer_and_the_team_for_their_own():
    asked = message_in_conversation("is paracetamol fine afterwards?", "ask_aftercare", 0.8, "embolization")
    [message], _ = run(ActionAnswerQuestion(), asked)
    assert data(message)["route"] == "answer"
    assert (data(message)["procedure"], data(message)["topic"]) == ("embolization", "aftercare")
    assert "Your team will confirm what to do with your own medicines" in text(message)
    assert [b["payload"] for b in buttons(message)] == ["/ask_personal_medical"]


def test_a_personal_dose_question_is_handed_to_the_team_not_answered():
    asked = message_in_conversation("I take 5 mg of apixaban, which day exactly do I stop?", "ask_anticoagulants", 0.8, "embolization")
    [message], _ = run(ActionAnswerQuestion(), asked)
    assert data(message)["route"] == "escalate_symptom"
    assert data(message)["sources"] == []


def test_a_symptom_the_patient_has_now_goes_to_a_nurse_with_the_warning_signs_not_an_answer():
    asked = message_in_conversation(
        "my groin is still sore ten days after the angiogram, should I worry?", "ask_aftercare", 0.8, "angiography"
    )
    messages, _ = run(ActionAnswerQuestion(), asked)
    assert [data(m)["route"] for m in messages] == ["escalate_symptom", "escalate_symptom"]
    assert [b["payload"] for b in buttons(messages[0])] == ["/report_symptom"]
    assert (data(messages[1])["procedure"], data(messages[1])["topic"]) == ("angiography", "when_to_call")


def test_a_neutral_question_about_a_symptom_is_answered_from_the_texts():
    asked = message_in_conversation("is bruising normal after a biopsy?", "ask_aftercare", 0.8, None)
    [message], _ = run(ActionAnswerQuestion(), asked)
    assert data(message)["route"] == "answer"
    assert (data(message)["procedure"], data(message)["topic"]) == ("image_guided_biopsy", "aftercare")

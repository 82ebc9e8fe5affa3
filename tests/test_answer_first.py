"""The answer first: the sentences that answer lead, the rest of the section is folded, the care-team
reminder is said once, and a topic question without a procedure offers the likeliest ones and another."""

from __future__ import annotations

import asyncio
import json

import numpy as np
import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.answer import ANOTHER_PROCEDURE_PAYLOAD, ActionAnswerQuestion
from actions.form_input import wants_to_leave
from assistant.channels import formatting, optout
from assistant.replies import Reply, from_rasa
from assistant.turns import CHANNEL_WORDING
from core.config import ROOT
from core.messages import Messages
from core.site import load_site
from knowledge.answer_first import fold, units_of

REMINDER = "your care team's instructions come first"


@pytest.fixture(autouse=True)
def action_services(point_actions_at, knowledge_slice):
    point_actions_at(*knowledge_slice)


def turn(
    text: str,
    intent: str,
    procedure: str | None = None,
    events: list[dict] | None = None,
    topic: str | None = None,
    entities: list[dict] | None = None,
) -> Tracker:
    return Tracker.from_dict(
        {
            "sender_id": "web:patient-1",
            "slots": {"procedure": None, "current_procedure": procedure, "current_topic": topic, "missed_in_a_row": 0},
            "latest_message": {"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": entities or []},
            "events": events or [],
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": "action_listen",
        }
    )


def answer(tracker: Tracker) -> dict:
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionAnswerQuestion().run(dispatcher, tracker, {}))
    [message] = dispatcher.messages
    return message["custom"]


def said(reply: dict) -> dict:
    """The reply as Rasa stores it among the tracker's events."""
    return {"event": "bot", "text": None, "data": {"custom": reply}}


def test_can_i_shower_after_a_biopsy_starts_with_the_shower_sentence():
    reply = answer(turn("can I shower?", "ask_aftercare", "image_guided_biopsy"))
    assert reply["topic"] == "aftercare"
    first_line = reply["text"].split("\n")[0]
    assert "shower" in first_line and first_line.startswith("Keep the small dressing clean and dry")
    # The rest of the section follows under its label, and is sent apart for the widget to fold.
    assert reply["more"]["label"] == 'More from "Afterwards":'
    assert "pain in the right shoulder" in reply["more"]["text"] and "shower" not in reply["more"]["text"]
    assert f"{reply['more']['label']}\n{reply['more']['text']}" in reply["text"]


def test_a_warning_signs_answer_is_whole():
    reply = answer(turn("when should I call someone?", "ask_when_to_call", "image_guided_biopsy"))
    assert reply["topic"] == "when_to_call" and reply["more"] is None
    assert reply["text"].startswith("Call ") and "- heavy bleeding" in reply["text"] and "- any other worry" in reply["text"]


@pytest.mark.parametrize(
    ("question", "intent", "topic"),
    [("what are the risks?", "ask_risks", "risks"), ("what should I do after a biopsy?", "ask_aftercare", "aftercare")],
)
def test_a_question_about_the_whole_topic_gets_the_whole_section(question, intent, topic):
    reply = answer(turn(question, intent, "image_guided_biopsy"))
    assert reply["topic"] == topic and reply["more"] is None and "More from" not in reply["text"]


def test_a_short_section_is_whole():
    text = "One thing. Another thing.\n\nA third thing."
    assert len(units_of(text)) == 3
    assert fold(text, "what about the third thing?", "aftercare") is None


def test_a_list_stays_whole_and_with_its_introduction():
    units = units_of("Bring these:\n- your letter\n- your medicines. All of them.\n\nCome early. Eat first.")
    assert [u.text for u in units] == ["Bring these:\n- your letter\n- your medicines. All of them.", "Come early.", "Eat first."]


def test_an_abbreviation_does_not_end_a_sentence():
    [unit] = units_of("Keep it dry, e.g. with a plastic bag.")
    assert unit.text == "Keep it dry, e.g. with a plastic bag."


def test_the_care_team_reminder_closes_only_the_first_answer_of_a_conversation():
    first = answer(turn("can I shower?", "ask_aftercare", "image_guided_biopsy"))
    second = answer(turn("can I drive?", "ask_driving", "image_guided_biopsy", events=[said(first)]))
    assert REMINDER in first["text"]
    assert REMINDER not in second["text"] and second["topic"] == "driving"
    # A new session is a new conversation: the reminder again.
    again = answer(turn("can I drive?", "ask_driving", "image_guided_biopsy", events=[said(first), {"event": "session_started"}]))
    assert REMINDER in again["text"]


def test_a_topic_question_without_a_procedure_offers_the_likeliest_and_another_procedure():
    reply = answer(turn("how do I prepare?", "ask_preparation"))
    procedures, another = reply["buttons"][:-1], reply["buttons"][-1]
    assert 1 <= len(procedures) <= 3 and all(b["payload"].startswith("/inform_procedure{") for b in procedures)
    assert another == {"title": "Another procedure", "payload": ANOTHER_PROCEDURE_PAYLOAD}
    asked = answer(turn(ANOTHER_PROCEDURE_PAYLOAD, "inform_procedure"))
    assert asked["route"] == "clarify" and asked["text"].startswith("Which procedure are you having?")


def run_answer(tracker: Tracker) -> tuple[dict, list[dict]]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ActionAnswerQuestion().run(dispatcher, tracker, {}))
    [message] = dispatcher.messages
    return message["custom"], events


def test_without_a_procedure_a_question_a_procedures_leaflet_matches_best_gets_the_general_page_not_that_leaflet():
    """ "What are the risks?" scores best on some procedure's risks: that leaflet would be a guess, and the guess
    would carry into the next questions. The general pages' risks, with the likeliest procedures offered."""
    reply, events = run_answer(turn("what are the risks?", "ask_risks"))
    assert (reply["route"], reply["procedure"], reply["topic"]) == ("answer", "general_ir", "risks")
    # The sentence that leads to the buttons closes the answer, after the care-team reminder.
    assert reply["text"].endswith("I can be more specific if you tell me which procedure you are having:")
    assert REMINDER in reply["text"]
    procedures, another = reply["buttons"][:-1], reply["buttons"][-1]
    assert 1 <= len(procedures) <= 3 and all(b["payload"].startswith("/inform_procedure{") for b in procedures)
    assert another == {"title": "Another procedure", "payload": ANOTHER_PROCEDURE_PAYLOAD}
    assert {e["name"]: e["value"] for e in events} == {"current_topic": "risks"}  # no procedure guessed


def test_without_a_procedure_or_a_general_page_on_the_topic_the_patient_is_asked_which_procedure_first(monkeypatch):
    from knowledge.catalog import GENERAL
    from knowledge.retriever import Retriever

    ranked = Retriever.rank

    def without_general_pages(self, raw, procedures=None, *args, **kwargs):
        return ranked(self, raw, ["no-such-text"] if procedures == [GENERAL] else procedures, *args, **kwargs)

    monkeypatch.setattr(Retriever, "rank", without_general_pages)
    reply, events = run_answer(turn("what are the risks?", "ask_risks"))
    assert (reply["route"], reply["procedure"], reply["topic"], reply["sources"]) == ("clarify", None, "risks", [])
    assert reply["text"].startswith("This depends on the procedure. Which one are you having?")
    procedures, another = reply["buttons"][:-1], reply["buttons"][-1]
    assert 1 <= len(procedures) <= 3 and another == {"title": "Another procedure", "payload": ANOTHER_PROCEDURE_PAYLOAD}
    assert {e["name"]: e["value"] for e in events} == {"current_topic": "risks"}
    # The patient picks a procedure: its risks.
    payload = procedures[0]["payload"]
    picked = json.loads(payload.removeprefix("/inform_procedure"))["procedure"]
    chosen = answer(turn(payload, "inform_procedure", topic="risks", entities=[{"entity": "procedure", "value": picked}]))
    assert (chosen["route"], chosen["procedure"], chosen["topic"]) == ("answer", picked, "risks")


def test_the_more_field_reaches_the_gateway_and_sms_keeps_the_lead_when_the_whole_is_too_long():
    site = load_site(ROOT / "site.yml")
    rest = "Some soreness is normal for a few days. " * 20
    more = {"label": 'More from "Afterwards":', "text": rest.strip()}
    text = f"You can shower after a day.\n\n{more['label']}\n{more['text']}\n\nThis is general information."
    [reply] = from_rasa([{"custom": {"text": text, "route": "answer", "more": more}}], site)
    assert reply.more == more
    assert reply.text_without_more() == "You can shower after a day.\n\nThis is general information."
    assert formatting.to_sms([reply]) == ["You can shower after a day.\n\nThis is general information."]
    assert any("soreness" in message for message in formatting.to_whatsapp([reply]))
    short = Reply(text="Shower tomorrow.\n\nMore:\nKeep it dry.", route="answer", more={"label": "More:", "text": "Keep it dry."})
    assert formatting.to_sms([short]) == ["Shower tomorrow.\n\nMore:\nKeep it dry."]


@pytest.mark.parametrize(("language", "word"), [("en", "leave"), ("fr", "quitter"), ("es", "salir")])
def test_on_sms_the_contact_form_names_a_leave_word_that_is_no_carrier_keyword(language, word):
    site, messages = load_site(ROOT / "site.yml"), Messages.load(ROOT / "messages")
    asked = messages.text("utter_ask_contact_name", "en", site)  # the dialogue's response, as Rasa sends it
    on_sms = messages.localise(asked, language, site, CHANNEL_WORDING["sms"])
    assert on_sms == messages.text("form_ask_name_by_text", language, site) and word in on_sms
    assert wants_to_leave(word) and optout.keyword(word) is None
    assert messages.localise(asked, language, site, CHANNEL_WORDING.get("web")) == messages.text("utter_ask_contact_name", language, site)


@pytest.mark.parametrize(
    ("language", "section"),
    [
        (
            "en",
            "A biopsy takes about an hour. You also need time to get ready and to rest afterwards. Bring a book. "
            "Wear loose clothes. Leave jewellery at home.",
        ),
        (
            "fr",
            "Une biopsie dure environ une heure. Il faut aussi du temps pour se préparer et se reposer. Apportez un livre. "
            "Portez des vêtements amples. Laissez vos bijoux à la maison.",
        ),
        (
            "es",
            "Una biopsia dura una hora. Además, hace falta tiempo para prepararse y descansar. Traiga un libro. "
            "Lleve ropa cómoda. Deje las joyas en casa.",
        ),
        (
            "es",
            "Algunas personas reciben sedación. Otras no, porque la aguja es muy fina. Traiga un libro. "
            "Lleve ropa cómoda. Deje las joyas en casa.",
        ),
    ],
)
def test_a_lead_sentence_that_goes_on_from_the_one_before_brings_it(language, section):
    """ "You also need time..." alone answers something the patient was not shown."""
    units = units_of(section)
    second = units[1].text
    question = second  # the sentence itself scores best
    folded = fold(section, question, "preparation", language)
    assert folded is not None and folded.lead.startswith(units[0].text) and folded.lead.endswith(second)
    assert units[0].text not in folded.rest and second not in folded.rest


def test_a_lead_that_would_take_the_whole_section_sends_it_whole(monkeypatch):
    from knowledge import answer_first

    section = "One thing here. It also goes on. Another thing here. That also goes on."
    monkeypatch.setattr(answer_first, "scores", lambda *args, **kwargs: np.array([0.1, 0.9, 0.2, 0.88]))
    assert fold(section, "what goes on?", "preparation") is None
    monkeypatch.setattr(answer_first, "scores", lambda *args, **kwargs: np.array([0.1, 0.9, 0.2, 0.3]))
    assert fold(section, "what goes on?", "preparation") == answer_first.Folded(
        "One thing here. It also goes on.", "Another thing here. That also goes on."
    )

"""Answers in the conversation's language: a French question gets the French text, and where French has no
text yet, says so in French, gives the English text clearly labelled and offers a person."""

from __future__ import annotations

import asyncio
import json
import shutil

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.answer import ActionAnswerQuestion
from core.config import ROOT
from knowledge import topic_examples

TEXTS = ROOT / "knowledge" / "texts"
TRACKERS = ROOT / "tests" / "data" / "trackers"


@pytest.fixture(scope="module")
def french_slice(tmp_path_factory, knowledge_slice, build_index):
    """The English slice, plus French texts for embolization and the preparation page only, and its index."""
    english_texts, english_index = knowledge_slice
    root = tmp_path_factory.mktemp("french-slice")
    texts = root / "texts"
    shutil.copytree(english_texts, texts)
    (texts / "fr").mkdir()
    for name in ("embolization", "general_preparation"):
        shutil.copy(TEXTS / "fr" / f"{name}.md", texts / "fr" / f"{name}.md")
    shutil.copytree(english_index, root / "index")
    with pytest.MonkeyPatch.context() as patch:
        # The French topic examples make a build of a few texts take most of a minute; retrieval finds these
        # sections from their words and questions alone.
        patch.setattr(topic_examples, "sources", lambda language="en": topic_examples.SOURCES if language == "en" else ())
        build_index(texts, root / "index-fr", "fr")
    return texts, root / "index"


@pytest.fixture(autouse=True)
def action_services(point_actions_at, french_slice):
    point_actions_at(*french_slice)


def french_message(text: str, intent: str, entities: list[dict] | None = None, procedure: str | None = None) -> Tracker:
    state = json.loads((TRACKERS / "asked_what_is_embolization.json").read_text())
    state["latest_message"] = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.9},
        "entities": entities or [],
        "metadata": {"language": "fr", "channel": "web"},
    }
    state["slots"]["current_procedure"] = procedure
    return Tracker.from_dict(state)


def run(tracker: Tracker) -> list[dict]:
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionAnswerQuestion().run(dispatcher, tracker, {}))
    return [m["custom"] for m in dispatcher.messages]


def test_a_french_question_is_answered_from_the_french_text_with_its_french_source():
    [reply] = run(french_message("quand puis-je conduire après une embolisation ?", "ask_driving"))
    assert (reply["procedure"], reply["topic"]) == ("embolization", "driving")
    assert reply["sources"][0]["language"] == "fr" and reply["sources"][0]["title"] == "Embolisation"
    assert "conduire" in reply["text"] and "drive" not in reply["text"]


def test_an_english_name_in_a_french_question_finds_the_french_text():
    [reply] = run(french_message("comment se préparer à une embolization ?", "ask_preparation"))
    assert (reply["procedure"], reply["topic"], reply["sources"][0]["language"]) == ("embolization", "preparation", "fr")


def test_a_procedure_without_a_french_text_gets_the_english_one_labelled_and_a_person_offered():
    [reply] = run(french_message("combien de temps dure une angiographie ?", "ask_duration"))
    assert (reply["procedure"], reply["topic"]) == ("angiography", "duration")
    assert reply["sources"][0]["language"] == "en"
    assert reply["text"].startswith("Cette information n'existe pas encore en français")
    assert "angiogram" in reply["text"].lower() or "angiography" in reply["text"].lower()
    assert [b["payload"] for b in reply["buttons"]] == ["/request_human"]
    assert reply["buttons"][0]["title"] != "Talk to a person"  # the button is in French too


def test_the_closing_reminder_is_in_french():
    [reply] = run(french_message("qu'est-ce qu'une embolisation ?", "ask_definition"))
    assert reply["sources"][0]["language"] == "fr"
    assert "care team" not in reply["text"]


def test_opening_hours_in_a_french_text_are_given_with_french_day_names():
    from actions import services
    from actions.replies import send_answer

    chunk = {
        "doc": "general_results",
        "procedure": "general_ir",
        "section": "results",
        "section_title": "Results",
        "title": "Résultats",
        "status": "draft",
        "reviewed": None,
        "language": "fr",
        "text": "Le secrétariat répond au {department_phone} ({opening_hours}).",
    }
    dispatcher = CollectingDispatcher()
    send_answer(dispatcher, services.site(), chunk, 1.0, "", weekdays=services.weekdays_of(chunk))
    text = dispatcher.messages[0]["custom"]["text"]
    assert "lundi" in text and "Monday" not in text
    assert services.weekdays_of({**chunk, "language": "en"}) is None


def test_a_french_text_names_the_department_in_french():
    from actions import services
    from actions.replies import send_answer

    site = services.site()
    chunk = {
        "doc": "thyroid_fna",
        "procedure": "thyroid_fna",
        "section": "duration",
        "section_title": "Durée",
        "title": "Cytoponction de la thyroïde",
        "status": "draft",
        "reviewed": None,
        "language": "fr",
        "text": "Demandez au {department_name} combien de temps prévoir.",
    }
    french = f"Demandez au {site.in_languages['fr']['department_name']} combien de temps prévoir."
    assert services.fill(chunk) == french
    dispatcher = CollectingDispatcher()
    send_answer(dispatcher, site, chunk, 1.0, "", weekdays=services.weekdays_of(chunk))
    assert dispatcher.messages[0]["custom"]["text"] == french
    assert services.fill({**chunk, "language": "en"}) == f"Demandez au {site.department_name} combien de temps prévoir."


def test_the_source_names_the_section_in_the_texts_language():
    [reply] = run(french_message("quand puis-je conduire après une embolisation ?", "ask_driving"))
    assert reply["sources"][0]["section_title"] == "Conduite"


def test_a_french_question_is_answered_first_from_the_french_text_with_a_french_label():
    [reply] = run(french_message("est-ce que je peux prendre une douche ?", "ask_aftercare", procedure="embolization"))
    assert reply["sources"][0]["language"] == "fr" and reply["topic"] == "aftercare"
    assert reply["text"].startswith("La douche est en général possible après un jour environ.")
    assert reply["more"]["label"] == "Suite de « Après l'intervention » :" and "syndrome post-embolisation" in reply["more"]["text"]

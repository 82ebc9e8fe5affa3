"""French and Spanish patients through the real processes: answered in their language from their language's
texts; a language without texts gets the emergency number and a call back."""

from __future__ import annotations

import pytest

from core.config import ROOT
from core.language import identify
from core.site import load_site

CONVERSATIONS = {
    "fr": ["qu'est-ce qu'une embolisation ?", "comment je me prépare ?", "quand puis-je conduire ?"],
    "es": ["¿qué es una embolización?", "¿cómo me preparo?", "¿cuándo puedo conducir?"],
}


@pytest.mark.parametrize("language", ["fr", "es"])
def test_three_questions_are_answered_in_the_patients_language_from_its_texts(system, language):
    for question, topic in zip(CONVERSATIONS[language], ["definition", "preparation", "driving"], strict=True):
        [answer] = system.chat(f"three-questions-{language}", question, language=language)["messages"]
        assert answer["route"] == "answer", answer
        assert (answer["procedure"], answer["topic"]) == ("embolization", topic)
        assert answer["sources"][0]["language"] == language
        assert answer["sources"][0]["title"] == {"fr": "Embolisation", "es": "Embolización"}[language]
        assert identify(answer["text"]) == language, answer["text"]


@pytest.mark.parametrize(
    "language, question",
    [("fr", "Bonjour, je voudrais prendre rendez-vous pour une biopsie du foie"), ("es", "Hola, quisiera pedir cita para una biopsia")],
)
def test_a_booking_request_is_handed_over_in_the_patients_language(system, language, question):
    messages = system.chat(f"booking-{language}", question, language=language)["messages"]
    assert messages[0]["route"] == "escalate_booking", messages
    assert identify(" ".join(m["text"] for m in messages)) == language


@pytest.mark.parametrize("language, greeting", [("fr", "bonjour"), ("es", "hola")])
def test_a_greeting_is_answered_in_the_pages_language_with_its_buttons(system, language, greeting):
    [reply] = system.chat(f"greeting-{language}", greeting, language=language)["messages"]
    english = load_site(ROOT / "site.yml")
    assert english.emergency_number in reply["text"]
    assert "information assistant" not in reply["text"]
    assert "Talk to a person" not in [b["title"] for b in reply["buttons"]]


def test_a_turkish_emergency_gets_the_emergency_number(system):
    [reply] = system.chat("turkish-emergency", "Anjiyodan sonra bacağım soğuk ve uyuşuk, nefes alamıyorum")["messages"]
    assert reply["route"] == "urgent"
    assert load_site(ROOT / "site.yml").emergency_number in reply["text"]

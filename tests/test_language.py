"""Language identification (core/language.py), measured on the project's own English sets and the
red-flag phrasings: no English question may be taken for another language."""

from __future__ import annotations

import re

import pytest
import yaml

from core.config import ROOT
from core.language import identify

ENGLISH_SETS = sorted((ROOT / "knowledge" / "eval").glob("*.yml"))
# data/nlu holds English training examples, except these files (one per language, named by its code), and the
# procedure names of every language (generated from the texts: names, not questions).
OTHER_LANGUAGE_NLU = ("fr", "es")
NOT_QUESTIONS = ("procedure_names",)


def nlu_examples(path) -> list[str]:
    """A data/nlu file's examples, with their entity annotations, [name](procedure) or [name]{...}, as plain text."""
    examples = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if m := re.match(r"\s+- (.+)$", line):
            examples.append(re.sub(r"\[([^\]]+)\](\([^)]+\)|\{[^}]*\})", r"\1", m.group(1)))
    return examples


def english_questions() -> list[str]:
    questions = []
    for path in ENGLISH_SETS:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        questions += [q["q"] for q in data if isinstance(q, dict) and q.get("q")] if isinstance(data, list) else []
    for path in (ROOT / "data" / "nlu").glob("*.yml"):
        if path.stem not in OTHER_LANGUAGE_NLU + NOT_QUESTIONS:
            questions += nlu_examples(path)
    return questions


def test_no_english_question_of_the_project_is_taken_for_another_language():
    questions = english_questions()
    assert len(questions) > 2000
    wrong = [q for q in questions if identify(q) not in (None, "en")]
    assert wrong == []


@pytest.mark.parametrize("language", OTHER_LANGUAGE_NLU)
def test_the_french_and_spanish_training_examples_are_never_taken_for_another_language(language):
    examples = nlu_examples(ROOT / "data" / "nlu" / f"{language}.yml")
    assert len(examples) > 500
    wrong = [q for q in examples if identify(q) not in (None, language)]
    assert wrong == []


@pytest.mark.parametrize(
    "text, language",
    [
        ("qu'est-ce qu'une embolisation ?", "fr"),
        ("quand puis-je conduire ?", "fr"),
        ("¿qué es una embolización?", "es"),
        ("¿cuándo puedo conducir?", "es"),
        ("ich kann nicht atmen", "de"),
        ("Göğsümde ağrı var", "tr"),
        ("Posso guidare dopo la biopsia?", "it"),
        ("im down for an embolisation next week, when can i drive", "en"),
    ],
)
def test_messages_long_enough_are_identified(text, language):
    assert identify(text) == language


@pytest.mark.parametrize("text", ["hola", "merci", "sí", "PICC?", "ok thanks", "Maria Lopez", "+34 612 345 678"])
def test_short_messages_never_decide_a_language(text):
    assert identify(text) is None


def test_the_red_flag_phrasings_in_other_languages_are_never_taken_for_english():
    phrases = yaml.safe_load((ROOT / "tests" / "data" / "red_flag_phrases.yml").read_text(encoding="utf-8"))
    for p in phrases:
        if p["lang"] in {"fr", "es", "de", "nl", "tr"}:
            assert identify(p["text"]) in (None, p["lang"]), p["text"]


@pytest.mark.parametrize(
    "question, language",
    [
        ("Comment se passe la surveillance ?", "fr"),
        ("En quoi consiste le stenting carotidien ?", "fr"),
        ("Ma vie sera-t-elle normale ?", "fr"),
        ("¿Cuánto tiempo dura la intervención?", "es"),
    ],
)
def test_a_short_question_plainly_in_one_language_is_identified_on_its_lead(question, language):
    assert identify(question) == language


@pytest.mark.parametrize(
    "question",
    [
        "Combien de temps dure l’opération?",  # the typographic apostrophe phones type
        "Combien de temps dure l’examen?",  # Catalan as runner-up says nothing against French
        "C’est grave ?",  # three short words, French beyond doubt
    ],
)
def test_a_short_french_question_as_typed_on_a_phone_is_french(question):
    assert identify(question) == "fr"


def test_a_lead_for_a_language_patients_here_do_not_write_is_not_taken():
    assert identify("how long til i can go home") in (None, "en")


def test_a_short_english_question_is_never_taken_for_another_language_on_a_lead():
    assert identify("how do I prepare?") in (None, "en")

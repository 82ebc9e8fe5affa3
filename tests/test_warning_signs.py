"""The same warning sign has the same urgency in every text's `when_to_call` section, in every language
(tests/data/warning_signs.yml): a sign in the first list ("Call {emergency_number} now if you have:") is an
emergency, in the second ("Contact us today if you have:") urgent."""

from __future__ import annotations

import re
import unicodedata
from functools import cache

import pytest
import yaml

from core.config import ROOT
from core.messages import SAFE_LOADER
from knowledge.documents import WHEN_TO_CALL, load_and_validate, warning_lists
from knowledge.languages import texts_dir

TEXTS = ROOT / "knowledge" / "texts"
SIGNS = yaml.load((ROOT / "tests" / "data" / "warning_signs.yml").read_text(), Loader=SAFE_LOADER)
# The key of a sign's pattern (and of its `unless`) in each language's texts.
LANGUAGES = {"en": "", "fr": "_fr", "es": "_es"}


def plain(text: str) -> str:
    """Lower case without accents, typographic apostrophes and no-break spaces as typed ones: patterns may
    leave accents out."""
    text = unicodedata.normalize("NFD", text.replace("\u2019", "'")).lower()
    return " ".join("".join(c for c in text if not unicodedata.combining(c)).split())


def lines_with_urgency(text: str, language: str) -> list[tuple[str, str | None]]:
    """Each line of a `when_to_call` section with the list it is in (None before the first list)."""
    return [(line, urgency) for _, line, urgency in warning_lists(text, language)[0]]


@cache
def sections(language: str) -> dict[str, list[tuple[str, str | None]]]:
    docs, _ = load_and_validate(texts_dir(TEXTS, language), complete=language == "en")
    return {doc.id: lines_with_urgency(section.text, language) for doc in docs for section in doc.sections if section.id == "when_to_call"}


def urgencies_of(sign: dict, found_in: dict[str, list[tuple[str, str | None]]], language: str = "en") -> dict[str, set[str | None]]:
    """Per text: the lists (urgencies) of the lines that name `sign`."""
    pattern, unless = sign[f"pattern{LANGUAGES[language]}"], sign.get(f"unless{LANGUAGES[language]}")
    found: dict[str, set[str | None]] = {}
    for doc, lines in found_in.items():
        for line, urgency in lines:
            if re.search(plain(pattern), plain(line)) and not (unless and re.search(plain(unless), plain(line))):
                found.setdefault(doc, set()).add(urgency)
    return found


EXAMPLE = """Call {emergency_number} now if you have:
- chest pain
- black, sticky stools
Press firmly on it while you wait.

Contact us today if you have:
- a fever
Call {department_phone} ({opening_hours}); when we are closed, call {out_of_hours_phone}.
If the drain falls out, cover the site."""


def test_a_line_belongs_to_the_list_above_it():
    assert [urgency for _, urgency in lines_with_urgency(EXAMPLE, "en")] == ["emergency"] * 4 + ["urgent"] * 4
    assert warning_lists(EXAMPLE, "en")[1] == []


def test_a_sign_named_with_another_urgency_is_reported():
    sign = {"pattern": "black,? (sticky )?(stools|poo)", "urgency": "emergency"}
    other = EXAMPLE.replace("- black, sticky stools\n", "").replace("- a fever", "- a fever\n- black poo")
    found_in = {"a": lines_with_urgency(EXAMPLE, "en"), "b": lines_with_urgency(other, "en")}
    assert urgencies_of(sign, found_in) == {"a": {"emergency"}, "b": {"urgent"}}


def test_patterns_may_leave_accents_out():
    sign = {"pattern_fr": "douleur (dans la|a la) poitrine", "urgency": "emergency"}
    lines = [("- une douleur à la poitrine", "emergency")]
    assert urgencies_of(sign, {"a": lines}, "fr") == {"a": {"emergency"}}


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_when_to_call_section_is_the_two_lists(language):
    docs, problems = load_and_validate(texts_dir(TEXTS, language), complete=language == "en")
    assert language in WHEN_TO_CALL
    assert [str(p) for p in problems if "when_to_call" in p.message] == []
    assert len(sections(language)) == len(sections("en"))


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("sign", SIGNS, ids=[sign["sign"] for sign in SIGNS])
def test_every_text_gives_a_warning_sign_the_same_urgency(sign, language):
    assert f"pattern{LANGUAGES[language]}" in sign, f"{sign['sign']}: no pattern{LANGUAGES[language]} in warning_signs.yml"
    found = urgencies_of(sign, sections(language), language)
    assert found, f"{sign['sign']} [{language}]: no text names it (a pattern that matches nothing checks nothing)"
    wrong = {doc: sorted(urgencies, key=str) for doc, urgencies in found.items() if urgencies != {sign["urgency"]}}
    assert wrong == {}, f"{sign['sign']} [{language}] should be {sign['urgency']} everywhere (None: named outside the two lists)"


@pytest.mark.parametrize("language", [language for language in LANGUAGES if language != "en"])
@pytest.mark.parametrize("sign", SIGNS, ids=[sign["sign"] for sign in SIGNS])
def test_a_translated_text_names_the_same_signs_as_the_english_one(sign, language):
    if f"pattern{LANGUAGES[language]}" not in sign:
        pytest.fail(f"{sign['sign']}: no pattern{LANGUAGES[language]} in warning_signs.yml")
    english = set(urgencies_of(sign, sections("en")))
    translated = set(urgencies_of(sign, sections(language), language))
    assert sorted(english - translated) == [], f"{sign['sign']}: named in English but not in [{language}]"
    assert sorted(translated - english) == [], f"{sign['sign']}: named in [{language}] but not in English"

"""The same warning sign has the same urgency in every text's `when_to_call` section (tests/data/warning_signs.yml)."""

from __future__ import annotations

import re

import pytest
import yaml

from assistant.config import ROOT
from knowledge.documents import load_and_validate

SIGNS = yaml.safe_load((ROOT / "tests" / "data" / "warning_signs.yml").read_text())
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def sentence_urgency(text: str) -> list[tuple[str, str]]:
    """Each sentence of a `when_to_call` section with its urgency: emergency if it says to call the emergency
    number, urgent if it says to call the department, to contact a care team or to get urgent advice, else
    that of the sentence before."""
    urgency, sentences = None, []
    for sentence in SENTENCE_END.split(" ".join(text.split())):
        emergency, department = "{emergency_number}" in sentence, "{department_phone}" in sentence
        if emergency and not department:
            urgency = "emergency"
        elif department or re.search(r"\burgent\b|\bcontact\b|\bteam\b", sentence.lower()):
            urgency = "urgent"  # the team first, the emergency number only if they cannot be reached
        assert urgency, f"no urgency for {sentence!r}"
        sentences.append((sentence, urgency))
    return sentences


def when_to_call_sentences() -> dict[str, list[tuple[str, str]]]:
    docs, _ = load_and_validate(ROOT / "knowledge" / "texts")
    return {doc.id: sentence_urgency(section.text) for doc in docs for section in doc.sections if section.id == "when_to_call"}


def urgencies_of(sign: dict, sections: dict[str, list[tuple[str, str]]]) -> dict[str, set[str]]:
    """Per text: the urgencies of the sentences that name `sign`."""
    found: dict[str, set[str]] = {}
    for doc, sentences in sections.items():
        for sentence, urgency in sentences:
            lower = sentence.lower()
            if re.search(sign["pattern"], lower) and not (sign.get("unless") and re.search(sign["unless"], lower)):
                found.setdefault(doc, set()).add(urgency)
    return found


def test_a_sentence_without_a_number_continues_the_one_before():
    text = (
        "Call {emergency_number} at once for chest pain. Press on it while you wait. "
        "Call {department_phone} for a fever. Also call if the drain falls out."
    )
    assert [urgency for _, urgency in sentence_urgency(text)] == ["emergency", "emergency", "urgent", "urgent"]


def test_a_sign_named_with_another_urgency_is_reported():
    sign = {"pattern": "black (sticky )?(stools|poo)", "urgency": "emergency"}
    sections = {
        "a": sentence_urgency("Call {emergency_number} at once for black sticky stools."),
        "b": sentence_urgency("Call {department_phone} if you see black poo."),
    }
    assert urgencies_of(sign, sections) == {"a": {"emergency"}, "b": {"urgent"}}


@pytest.fixture(scope="module")
def sections() -> dict[str, list[tuple[str, str]]]:
    """Read once for every sign: the texts are not changed by these tests."""
    return when_to_call_sentences()


@pytest.mark.parametrize("sign", SIGNS, ids=[sign["sign"] for sign in SIGNS])
def test_every_text_gives_a_warning_sign_the_same_urgency(sign, sections):
    found = urgencies_of(sign, sections)
    assert found, f"{sign['sign']}: no text names it (a pattern that matches nothing checks nothing)"
    wrong = {doc: sorted(urgencies) for doc, urgencies in found.items() if urgencies != {sign["urgency"]}}
    assert wrong == {}, f"{sign['sign']} should be {sign['urgency']} everywhere"

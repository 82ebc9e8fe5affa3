"""Procedure names in messages: family names such as "drain" or "stent" follow the message's other words."""

from __future__ import annotations

import pytest

from assistant.config import ROOT
from knowledge.documents import load_and_validate
from knowledge.names import ProcedureMatcher


@pytest.fixture(scope="module")
def matcher() -> ProcedureMatcher:
    docs, _ = load_and_validate(ROOT / "knowledge" / "texts")
    return ProcedureMatcher.from_entries(docs)


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("my drain fell out", ["abscess_drainage"]),
        ("will the drain make my jaundice go away", ["biliary_drainage"]),
        ("the drain in my kidney is leaking", ["nephrostomy"]),
        ("why would they drain fluid from my knee", ["joint_injection"]),
        ("when can I drive after my stent", ["angioplasty_stenting"]),
        ("why a stent rather than an operation on the carotid", ["carotid_stenting"]),
        ("how long does a liver biopsy take", ["image_guided_biopsy"]),
        ("a biopsy of my thyroid lump", ["thyroid_fna"]),
    ],
)
def test_family_names_follow_the_other_words(matcher, message, expected):
    assert matcher.procedures(message) == expected


def test_an_entity_value_is_resolved_in_its_message(matcher):
    assert matcher.resolve("drain") == "abscess_drainage"
    assert matcher.resolve("drain", context="the drain for my jaundice") == "biliary_drainage"


@pytest.mark.parametrize(
    ("message", "current", "expected"),
    [
        ("does the stent stop me having a stroke?", "carotid_stenting", ["carotid_stenting"]),
        ("can the drain block?", "biliary_drainage", ["biliary_drainage"]),
        ("can the drain block?", None, ["abscess_drainage"]),
        ("and a stent in my leg?", "nephrostomy", ["angioplasty_stenting"]),
    ],
)
def test_a_family_name_keeps_the_conversation_procedure_of_its_family(matcher, message, current, expected):
    assert matcher.procedures(message, current) == expected
    assert matcher.resolve(message.split()[2].strip("?"), context=message, current=current) == expected[0]


def test_of_two_overlapping_names_as_long_the_first_in_the_message_wins_whatever_the_list_order():
    names = {"biliary_drainage": ["bile drain"], "abscess_drainage": ["drain bile"]}
    for ordered in (names, dict(reversed(names.items()))):
        matcher = ProcedureMatcher(ordered)
        assert matcher.procedures("a bile drain bile leak") == ["biliary_drainage"]
        assert matcher.procedures("a drain bile drain leak") == ["abscess_drainage"]


def test_coiling_names_embolization(matcher):
    assert matcher.procedures("how long is a coiling procedure for a bleeding artery") == ["embolization"]

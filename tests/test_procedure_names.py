"""Procedure names in messages: family names such as "drain" or "stent" follow the message's other words,
and a name no text covers ("pulmonary embolism", "heart stent") leads to no text."""

from __future__ import annotations

import pytest
import yaml

from core.config import ROOT
from core.messages import SAFE_LOADER
from knowledge.catalog import PROCEDURES
from knowledge.documents import load_and_validate
from knowledge.names import ProcedureMatcher
from knowledge.targets import answer_target, procedure_entities

CONFUSABLE = yaml.load((ROOT / "tests" / "data" / "confusable_names.yml").read_text(), Loader=SAFE_LOADER)


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


def test_the_confusable_names_table_is_big_enough_and_uses_known_procedures():
    assert len(CONFUSABLE) >= 40
    assert sum(row["expect"] == "none" for row in CONFUSABLE) >= 20
    assert {row["expect"] for row in CONFUSABLE} - {"none"} <= set(PROCEDURES)


@pytest.mark.parametrize("row", CONFUSABLE, ids=[row["says"] for row in CONFUSABLE])
def test_every_confusable_name_leads_to_the_right_text_or_to_none(matcher, row):
    target = answer_target(matcher, "ask_definition", row["says"], [], row.get("context"), None)
    if row["expect"] == "none":
        assert target.no_text and target.procedure is None
        assert matcher.procedures(row["says"], row.get("context")) == []
    else:
        assert target.no_text is None
        assert target.procedure == row["expect"]


def test_a_name_no_text_covers_takes_its_words_from_the_shorter_and_the_fuzzy_names(matcher):
    assert matcher.no_text("what is a pulmonary embolism") == ["pulmonary embolism"]
    assert matcher.no_text("pulmonery embolisms") == ["pulmonary embolism"]
    assert matcher.no_text("the heart stent") == ["heart stent"]
    assert matcher.procedures("a stent in my leg and a heart stent") == ["angioplasty_stenting"]


def test_a_text_named_with_a_thing_without_a_text_is_answered_for_the_text(matcher):
    message = "i had a pulmonary embolism, why would i need an ivc filter"
    assert answer_target(matcher, "ask_reasons", message, [], None, None).procedure == "ivc_filter"


def test_a_general_topic_about_a_thing_without_a_text_is_answered_by_the_general_pages(matcher):
    target = answer_target(matcher, "ask_contrast_allergy", "im allergic to iodine, can i have an hsg", [], None, None)
    assert (target.owner, target.no_text) == ("general_ir", None)


def test_a_family_name_next_to_the_word_of_a_thing_without_a_text_means_that_thing(matcher):
    assert matcher.no_text("is the drain in my gallbladder meant to hurt") == ["gallbladder drain"]
    assert matcher.procedures("is the drain in my gallbladder meant to hurt") == []
    # Unless the conversation is about a drain: it stays with that drain.
    assert matcher.procedures("is the drain in my gallbladder meant to hurt", "abscess_drainage") == ["abscess_drainage"]
    # A word of that thing elsewhere in the message is no clue.
    assert matcher.procedures("i had my gallbladder out years ago, does the drain hurt") == ["abscess_drainage"]


def test_an_entity_inside_a_name_no_text_covers_is_dropped(matcher):
    text = "How long does my heart stent stay in?"
    start = text.index("stent")
    tagged = [{"entity": "procedure", "value": "angioplasty_stenting", "start": start, "end": start + 5}]
    assert procedure_entities(matcher, text, tagged) == []
    # The same entity elsewhere, or without a span (a button's payload), is kept.
    other = "How long does my stent stay in?"
    kept = [
        {"entity": "procedure", "value": "angioplasty_stenting", "start": other.index("stent"), "end": other.index("stent") + 5},
        {"entity": "procedure", "value": "carotid_stenting"},
    ]
    assert procedure_entities(matcher, other, kept) == ["angioplasty_stenting", "carotid_stenting"]


def test_a_not_name_gives_way_to_a_text_that_has_it_as_a_name():
    matcher = ProcedureMatcher(
        {"angioplasty_stenting": ["stent"], "evar": ["evar", "stent graft"]}, ["stent graft", "evar", "kidney stent"]
    )
    assert matcher.procedures("what is a stent graft") == ["evar"]
    assert matcher.no_text("what is a stent graft") == []
    assert matcher.no_text("what is a kidney stent") == ["kidney stent"]

"""Phrasing cues: the ways of asking that point at a section whatever the subject."""

from __future__ import annotations

import pytest

from knowledge.cues import cues_of


@pytest.mark.parametrize("question", [
    "what is TACE for liver cancer",
    "whats SIRT treatment",
    "my husband has been offered something called PAE for his prostate, what is it exactly",
    "What's a nephrostomy?",
    "wat is an embolisation",
])
def test_asking_what_something_is_points_at_the_definition(question):
    assert "definition" in cues_of(question).sections


@pytest.mark.parametrize("question", [
    "what is the recovery like after PAE",
    "what are the risks of a biopsy",
    "what happens on the day",
    "whats the waiting time for a fibroid embolisation",
    "what is it used for",
    "how does an angiogram work",
])
def test_asking_about_something_else_than_what_it_is_does_not(question):
    assert "definition" not in cues_of(question).sections


def test_asking_whether_something_is_normal_points_at_aftercare_but_back_to_normal_does_not():
    assert cues_of("bit of bleeding after the fallopian tube procedure, normal?").sections == ("aftercare",)
    assert cues_of("its stinging when i pee since the embolisation, is that normal").sections == ("aftercare",)
    assert cues_of("when will i be back to normal after my kyphoplasty").sections == ()


def test_speaking_of_my_procedure_marks_a_question_about_any_procedure():
    assert cues_of("do i need someone to pick me up after my procedure").any_procedure
    assert not cues_of("do i need someone to pick me up after the angiogram").any_procedure

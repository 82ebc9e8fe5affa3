"""The first question of a message that asks several."""

from __future__ import annotations

import pytest

from knowledge.clauses import first_clause


@pytest.mark.parametrize(
    ("message", "first"),
    [
        ("what happens on the day of the gastrostomy, do i stay overnight", "what happens on the day of the gastrostomy"),
        ("will it hurt? will I be awake?", "will it hurt"),
        ("tace day what happens, how long do i stay in", "tace day what happens"),
        ("I'm on apixaban, do I stop it before my procedure?", None),
        ("how long does it take", None),
        ("ok, how long does it take", None),
    ],
)
def test_first_clause(message, first):
    assert first_clause(message) == first

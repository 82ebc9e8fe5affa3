"""Department facts: placeholders and opening hours."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from assistant.site import Site

LONDON = ZoneInfo("Europe/London")
SITE = Site(
    department_name="IR",
    hospital_name="H",
    department_phone="+44 1",
    department_email="ir@example.org",
    department_address="A",
    emergency_number="112",
    timezone="Europe/London",
    opening_hours={d: ("08:00", "17:00") for d in ("monday", "tuesday", "wednesday", "thursday")} | {"friday": ("08:00", "16:00")},
    response_time="within one working day",
)


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """A time in November 2026 (Monday the 23rd)."""
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=LONDON)


def test_placeholders_are_filled_and_unknown_ones_stay_visible():
    assert SITE.fill("Call {department_phone} or {emergency_number}; {nope}") == "Call +44 1 or 112; {nope}"


def test_opening_hours_read_as_a_sentence():
    assert SITE.opening_hours_text == "Monday to Thursday 08:00–17:00, Friday 08:00–16:00"


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (at(23, 10), "The secretariat is open now and will get back to you within one working day."),
        (at(23, 7, 30), "The secretariat is closed now. It reopens today at 08:00"),
        (at(23, 18), "The secretariat is closed now. It reopens tomorrow at 08:00"),
        (at(27, 16, 30), "The secretariat is closed now. It reopens on Monday at 08:00"),
        (at(28, 12), "The secretariat is closed now. It reopens on Monday at 08:00"),
    ],
)
def test_the_patient_is_told_when_the_secretariat_will_answer(now, expected):
    assert SITE.when_answered(now).startswith(expected)


def test_times_in_another_zone_are_converted_to_the_department_zone():
    utc_evening = dt.datetime(2026, 11, 23, 16, 30, tzinfo=dt.UTC)  # 16:30 in London: open
    assert SITE.is_open(utc_evening)

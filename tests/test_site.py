"""Department facts: placeholders and opening hours."""

from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from core.config import ROOT
from core.site import Site, load_site

LONDON = ZoneInfo("Europe/London")
SITE = Site(
    department_name="IR",
    hospital_name="H",
    department_phone="+44 1",
    department_email="ir@example.org",
    department_address="A",
    emergency_number="112",
    out_of_hours_phone="+44 9",
    timezone="Europe/London",
    opening_hours={d: ("08:00", "17:00") for d in ("monday", "tuesday", "wednesday", "thursday")} | {"friday": ("08:00", "16:00")},
    response_time="within one working day",
)


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """A time in November 2026 (Monday the 23rd)."""
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=LONDON)


def test_placeholders_are_filled_and_unknown_ones_stay_visible():
    assert SITE.fill("Call {department_phone} or {emergency_number}; {nope}") == "Call +44 1 or 112; {nope}"


def test_the_out_of_hours_number_is_a_placeholder():
    assert SITE.fill("When we are closed, call {out_of_hours_phone}.") == "When we are closed, call +44 9."


@pytest.mark.parametrize(
    ("unit", "expected"),
    [
        ("C", "a fever above 38 °C or 38.5°C"),
        ("F", "a fever above 100.4 °F or 101.3°F"),
        ("both", "a fever above 38 °C (100.4 °F) or 38.5°C (101.3°F)"),
    ],
)
def test_temperatures_are_shown_in_the_site_unit(unit, expected):
    site = dataclasses.replace(SITE, temperature_unit=unit)
    assert site.fill("a fever above 38 °C or 38.5°C") == expected


def test_a_french_temperature_keeps_its_decimal_comma_and_space():
    site = dataclasses.replace(SITE, temperature_unit="both")
    assert site.fill("plus de 38,5\u00a0°C") == "plus de 38,5\u00a0°C (101,3\u00a0°F)"


def test_a_site_without_an_out_of_hours_number_or_with_an_unknown_unit_is_refused(tmp_path):
    shipped = (ROOT / "site.yml").read_text()
    assert load_site(ROOT / "site.yml").out_of_hours_phone
    missing = tmp_path / "site.yml"
    missing.write_text("\n".join(line for line in shipped.splitlines() if not line.startswith("out_of_hours_phone:")))
    with pytest.raises(ValueError, match="out_of_hours_phone is required"):
        load_site(missing)
    with pytest.raises(ValueError, match="temperature_unit"):
        dataclasses.replace(SITE, temperature_unit="K")


def test_the_department_rules_fill_their_placeholders():
    site = dataclasses.replace(SITE, driving_after_sedation_hours=48, fasting_food_hours=8)
    text = "No driving for {driving_after_sedation_hours} hours; an adult for {adult_stays_hours} hours; "
    text += "no food for {fasting_food_hours} hours, water until {fasting_clear_fluids_hours} hours before."
    assert site.fill(text) == "No driving for 48 hours; an adult for 24 hours; no food for 8 hours, water until 2 hours before."


@pytest.mark.parametrize("rule", ["driving_after_sedation_hours", "adult_stays_hours", "fasting_food_hours", "fasting_clear_fluids_hours"])
def test_every_department_rule_is_required_in_site_yml(tmp_path, rule):
    shipped = (ROOT / "site.yml").read_text()
    assert f"\n{rule}: " in shipped
    missing = tmp_path / "site.yml"
    missing.write_text("\n".join(line for line in shipped.splitlines() if not line.startswith(f"{rule}:")))
    with pytest.raises(ValueError, match=rule):
        load_site(missing)


@pytest.mark.parametrize(
    ("rule", "value"),
    [
        ("driving_after_sedation_hours", 0),
        ("driving_after_sedation_hours", 24.5),
        ("driving_after_sedation_hours", "24"),
        ("adult_stays_hours", 500),
        ("fasting_food_hours", True),
        ("fasting_food_hours", -6),
        ("fasting_clear_fluids_hours", 24),
    ],
)
def test_a_department_rule_must_be_a_whole_number_of_hours_in_a_sane_range(rule, value):
    with pytest.raises(ValueError, match=f"{rule} must be a whole number of hours"):
        dataclasses.replace(SITE, **{rule: value})


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

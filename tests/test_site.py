"""Department facts: placeholders and opening hours."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import yaml

from core.config import ROOT
from core.messages import Messages
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


def test_times_in_another_zone_are_converted_to_the_department_zone():
    utc_evening = dt.datetime(2026, 11, 23, 16, 30, tzinfo=dt.UTC)  # 16:30 in London: open
    assert SITE.is_open(utc_evening)


# The facts that are words, in French and Spanish (site.yml `in_languages`).
IN_LANGUAGES = {
    "fr": {
        "department_name": "Service de radiologie interventionnelle",
        "hospital_name": "CHU d'Exemple",
        "response_time": "sous un jour ouvré",
    },
    "es": {"department_name": "Servicio de Radiología Intervencionista", "response_time": "en un plazo de un día laborable"},
    # Languages without texts give only the response time (the note while staff hold the conversation).
    "de": {"response_time": "innerhalb eines Werktags"},
    "tr": {"response_time": "bir iş günü içinde"},
    "ar": {"response_time": "خلال يوم عمل واحد"},
}
SITE_IN_LANGUAGES = dataclasses.replace(SITE, in_languages=IN_LANGUAGES)
NAMED = "{department_name} | {hospital_name} | {response_time} | {department_phone}"


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("fr", "Service de radiologie interventionnelle | CHU d'Exemple | sous un jour ouvré | +44 1"),
        # A fact the language does not give is said with the reference value.
        ("es", "Servicio de Radiología Intervencionista | H | en un plazo de un día laborable | +44 1"),
        ("en", "IR | H | within one working day | +44 1"),
        (None, "IR | H | within one working day | +44 1"),
        ("de", "IR | H | innerhalb eines Werktags | +44 1"),
        ("nl", "IR | H | within one working day | +44 1"),
    ],
)
def test_the_named_facts_are_filled_in_the_texts_language_else_in_the_reference_one(language, expected):
    assert SITE_IN_LANGUAGES.fill(NAMED, language=language) == expected


def test_a_fact_is_read_in_a_language_or_the_reference_one():
    assert SITE_IN_LANGUAGES.fact("department_name", "fr") == "Service de radiologie interventionnelle"
    assert SITE_IN_LANGUAGES.fact("hospital_name", "es") == SITE_IN_LANGUAGES.fact("hospital_name", "de") == "H"


@pytest.mark.parametrize(
    ("in_languages", "error"),
    [
        (["fr"], "in_languages must map a language code"),
        ({"french": {"department_name": "Service"}}, "'french' is not a two-letter language code"),
        ({"en": {"department_name": "IR"}}, "en is the reference language"),
        ({"fr": "Service de radiologie"}, "in_languages.fr must map facts to texts"),
        ({"fr": {"department_phone": "+33 1"}}, "in_languages.fr: 'department_phone' is not a fact given per language"),
        ({"fr": {"department_name": 12}}, "in_languages.fr.department_name must be a non-empty text"),
        ({"fr": {"response_time": "  "}}, "in_languages.fr.response_time must be a non-empty text"),
    ],
)
def test_site_yml_in_languages_is_checked(in_languages, error):
    with pytest.raises(ValueError, match=re.escape(error)):
        dataclasses.replace(SITE, in_languages=in_languages)


def test_in_languages_names_only_languages_with_a_message_catalog(tmp_path):
    shipped = yaml.safe_load((ROOT / "site.yml").read_text(encoding="utf-8"))
    catalogs = Messages.load(ROOT / "messages").catalogs
    # The example values: every catalog's language, the ones without texts with their response time only.
    shipped_in = load_site(ROOT / "site.yml", languages=catalogs).in_languages
    assert set(shipped_in) == set(catalogs) - {"en"}
    assert all(set(facts) == {"response_time"} for language, facts in shipped_in.items() if not catalogs[language].texts)
    unknown = tmp_path / "site.yml"
    unknown.write_text(yaml.safe_dump(shipped | {"in_languages": {"zz": {"department_name": "Zz"}}}), encoding="utf-8")
    with pytest.raises(ValueError, match="in_languages: zz has no message catalog"):
        load_site(unknown, languages=catalogs)


MESSAGES = Messages.load(ROOT / "messages")


@pytest.mark.parametrize(
    ("now", "language", "expected"),
    [
        (at(23, 10), "en", "The secretariat is open now and will get back to you within one working day."),
        (at(23, 7, 30), "en", "The secretariat is closed now: it reopens today at 08:00 and will get back to you within one working day."),
        (at(23, 18), "en", "The secretariat is closed now: it reopens tomorrow at 08:00"),
        (at(27, 16, 30), "en", "The secretariat is closed now: it reopens on Monday at 08:00"),
        (at(28, 12), "en", "The secretariat is closed now: it reopens on Monday at 08:00"),
        (at(23, 10), "fr", "Le secrétariat est ouvert et vous recontactera sous un jour ouvré."),
        (at(23, 18), "fr", "Le secrétariat est fermé pour le moment : il rouvre demain à 08:00 et vous recontactera sous un jour ouvré."),
        (at(28, 12), "fr", "Le secrétariat est fermé pour le moment : il rouvre lundi à 08:00"),
        (at(23, 10), "es", "La secretaría está abierta y se pondrá en contacto con usted en un plazo de un día laborable."),
        (
            at(27, 16, 30),
            "es",
            "La secretaría está cerrada ahora: vuelve a abrir el lunes a las 08:00 y se pondrá en contacto con usted en",
        ),
        # A language without texts: said in it where site.yml gives the response time in it.
        (at(23, 18), "tr", "Sekreterlik şu anda kapalı: yarın saat 08:00 itibarıyla yeniden açılacak ve bir iş günü içinde"),
        (at(28, 12), "de", "Das Sekretariat ist jetzt geschlossen: Es öffnet am Montag um 08:00 Uhr wieder"),
        (at(23, 10), "ar", "السكرتارية مفتوحة الآن وستتواصل معك خلال يوم عمل واحد."),
    ],
)
def test_the_patient_is_told_when_the_secretariat_will_answer_in_their_language(now, language, expected):
    assert MESSAGES.when_answered(SITE_IN_LANGUAGES, now, language).startswith(expected)


def test_without_the_response_time_in_the_patients_language_it_is_all_said_in_the_reference_language():
    """Never half in English: a site.yml that gives no German response time gets the whole sentence in English."""
    without = dataclasses.replace(SITE_IN_LANGUAGES, in_languages={k: v for k, v in SITE_IN_LANGUAGES.in_languages.items() if k != "de"})
    assert not MESSAGES.says_when_answered_in("de", without) and MESSAGES.says_when_answered_in("de", SITE_IN_LANGUAGES)
    expected = "The secretariat is closed now: it reopens tomorrow at 08:00 and will get back to you within one working day."
    assert MESSAGES.when_answered(without, at(23, 18), "de").startswith(expected)


def test_without_opening_hours_the_secretariat_answers_within_its_response_time_in_the_patients_language():
    no_hours = dataclasses.replace(SITE_IN_LANGUAGES, opening_hours={})
    assert MESSAGES.when_answered(no_hours, at(23, 10), "fr") == "Le secrétariat vous recontactera sous un jour ouvré."


def test_a_catalog_sentence_names_the_department_in_its_own_language():
    assert "l'assistant d'information du Service de radiologie interventionnelle." in MESSAGES.text("utter_greet", "fr", SITE_IN_LANGUAGES)
    assert "asistente de información del Servicio de Radiología Intervencionista." in MESSAGES.text("utter_greet", "es", SITE_IN_LANGUAGES)
    assert MESSAGES.text("utter_greet", "en", SITE_IN_LANGUAGES).startswith("Hello, I'm the IR's information assistant.")
    # A sentence a catalog lacks falls back to English, and so do the names in it.
    assert MESSAGES.text("sms_help", "de", SITE_IN_LANGUAGES).startswith("IR, H.")
    assert MESSAGES.text("sms_help", "fr", SITE_IN_LANGUAGES).startswith("Service de radiologie interventionnelle, CHU d'Exemple.")


def test_site_yml_is_parsed_once_per_content_and_read_again_when_edited(tmp_path):
    path = tmp_path / "site.yml"
    path.write_text((ROOT / "site.yml").read_text(encoding="utf-8"), encoding="utf-8")
    first = load_site(path)
    assert load_site(path) is first
    path.write_text(path.read_text(encoding="utf-8").replace(first.department_phone, "+44 20 7946 0001"), encoding="utf-8")
    assert load_site(path).department_phone == "+44 20 7946 0001"

"""The department's facts (site.yml) and the placeholders texts may use."""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
# A temperature as the texts write it: "38 °C" (a space, also a no-break one, or none; "38,5 °C" in French).
CELSIUS = re.compile(r"(?<![\d.,])(\d+(?:([.,])\d+)?)(\s?)°C\b")
TEMPERATURE_UNITS = ("C", "F", "both")
STAFF_SHOWN_AS = ("first_name", "role")
# The language of site.yml's own values (the message catalogs' reference language, core/messages.py).
REFERENCE = "en"
# The facts that are words rather than numbers: site.yml may give them per language (`in_languages`).
LOCALISED_FACTS = ("department_name", "hospital_name", "response_time")
DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# The department's rules around sedation, in whole hours, and the range a value must fall in. The general pages
# state each once through a placeholder of the same name; procedure texts refer to them (knowledge/department_rules.py).
RULE_HOURS = {
    "driving_after_sedation_hours": (12, 72),  # no driving after sedation or a general anaesthetic
    "adult_stays_hours": (12, 72),  # an adult takes the patient home and stays with them
    "fasting_food_hours": (2, 12),  # no food before sedation or a general anaesthetic
    "fasting_clear_fluids_hours": (0, 6),  # clear fluids (water) allowed until this long before
}


@dataclass(frozen=True)
class Site:
    department_name: str
    hospital_name: str
    department_phone: str
    department_email: str
    department_address: str
    emergency_number: str
    # The number that answers when the secretariat is closed: an on-call line or the hospital switchboard.
    out_of_hours_phone: str
    timezone: str
    opening_hours: dict[str, tuple[str, str]] = field(default_factory=dict)
    response_time: str = "within one working day"
    # How a member of staff who holds a conversation is named to the patient: their first name, or their role
    # ("Secretariat", "Nurse or doctor"). Either way the patient is told a person is answering.
    staff_shown_as: str = "first_name"
    # The shipped site.yml is an example; production mode refuses to start until the department removes this.
    example: bool = False
    # How temperatures in texts are shown: C (as written), F, or both ("38 °C (100.4 °F)").
    temperature_unit: str = "C"
    # The rules in RULE_HOURS (load_site requires them in site.yml; these defaults serve tests building a Site).
    driving_after_sedation_hours: int = 24
    adult_stays_hours: int = 24
    fasting_food_hours: int = 6
    fasting_clear_fluids_hours: int = 2
    # The LOCALISED_FACTS in other languages than the reference: {"fr": {"department_name": "..."}}. A fact a
    # language does not give is said with the reference value.
    in_languages: dict[str, dict[str, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _check_in_languages(self.in_languages)
        for key, (low, high) in RULE_HOURS.items():
            value = getattr(self, key)
            # bool is an int in Python: "yes" in YAML must not pass as 1 hour.
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise ValueError(f"site.yml: {key} must be a whole number of hours from {low} to {high}, not {value!r}")
        if self.temperature_unit not in TEMPERATURE_UNITS:
            raise ValueError(f"site.yml: temperature_unit must be one of {', '.join(TEMPERATURE_UNITS)}, not {self.temperature_unit!r}")
        if not str(self.out_of_hours_phone or "").strip():
            raise ValueError("site.yml: out_of_hours_phone is required (an on-call line or the hospital switchboard)")
        if self.staff_shown_as not in STAFF_SHOWN_AS:
            raise ValueError(f"site.yml: staff_shown_as must be one of {', '.join(STAFF_SHOWN_AS)}, not {self.staff_shown_as!r}")

    def staff_shown(self, display_name: str | None, role: str | None) -> dict[str, str]:
        """How the widget names a member of staff: {"name": first name} or {"role": their role}. The role when the
        department chose it, or when the account has no display name (a user name is not for patients)."""
        first = (display_name or "").split()
        if self.staff_shown_as == "first_name" and first:
            return {"name": first[0]}
        return {"role": role or "staff"}

    @property
    def opening_hours_text(self) -> str:
        """Opening hours as a short human sentence, grouping equal days."""
        return self.opening_hours_in()

    def opening_hours_in(self, weekdays: list[str] | None = None) -> str:
        """Opening hours with the day names of a message catalog (Monday first); English without one."""
        groups: list[tuple[list[str], tuple[str, str]]] = []
        for day in DAYS:
            hours = self.opening_hours.get(day)
            if not hours:
                continue
            if groups and groups[-1][1] == hours and DAYS.index(groups[-1][0][-1]) == DAYS.index(day) - 1:
                groups[-1][0].append(day)
            else:
                groups.append(([day], hours))
        parts = []
        for days, (start, end) in groups:
            first, last = (weekdays[DAYS.index(d)] if weekdays else d.capitalize() for d in (days[0], days[-1]))
            label = first if len(days) == 1 else (f"{first}–{last}" if weekdays else f"{first} to {last}")
            parts.append(f"{label} {start}–{end}")
        return ", ".join(parts) if parts else "by appointment"

    def _spans(self, day: dt.date) -> tuple[dt.datetime, dt.datetime] | None:
        hours = self.opening_hours.get(DAYS[day.weekday()])
        if not hours:
            return None
        zone = ZoneInfo(self.timezone)
        start, end = (dt.datetime.combine(day, dt.time.fromisoformat(h), zone) for h in hours)
        return start, end

    def is_open(self, now: dt.datetime) -> bool:
        local = now.astimezone(ZoneInfo(self.timezone))
        span = self._spans(local.date())
        return span is not None and span[0] <= local < span[1]

    def next_opening(self, now: dt.datetime) -> dt.datetime | None:
        """When the secretariat next opens after `now` (None if it has no opening hours)."""
        local = now.astimezone(ZoneInfo(self.timezone))
        for offset in range(8):
            span = self._spans(local.date() + dt.timedelta(days=offset))
            if span and span[0] > local:
                return span[0]
        return None

    def placeholders(self, language: str | None = None) -> dict[str, str]:
        """Each placeholder's value; the LOCALISED_FACTS in `language` where site.yml gives them in it."""
        return (
            {
                "department_name": self.department_name,
                "hospital_name": self.hospital_name,
                "department_phone": self.department_phone,
                "department_email": self.department_email,
                "department_address": self.department_address,
                "emergency_number": self.emergency_number,
                "out_of_hours_phone": self.out_of_hours_phone,
                "opening_hours": self.opening_hours_text,
                "response_time": self.response_time,
            }
            | {key: str(getattr(self, key)) for key in RULE_HOURS}
            | self.in_languages.get(language or REFERENCE, {})
        )

    def fact(self, key: str, language: str | None = None) -> str:
        """One of the LOCALISED_FACTS in `language`, else its reference value."""
        return self.in_languages.get(language or REFERENCE, {}).get(key) or str(getattr(self, key))

    def gives(self, key: str, language: str | None) -> bool:
        """Whether site.yml gives one of the LOCALISED_FACTS in `language` (the reference language's are its own)."""
        language = language or REFERENCE
        return language == REFERENCE or bool(self.in_languages.get(language, {}).get(key))

    def fill(self, text: str, weekdays: list[str] | None = None, language: str | None = None) -> str:
        """Replace {placeholders} with the department's facts; unknown ones stay visible.
        `weekdays` names the days in the text's language (a message catalog's); `language` is the text's
        language, whose names and sentences (department_name...) site.yml may give in `in_languages`."""
        values = self.placeholders(language)
        if weekdays:
            values["opening_hours"] = self.opening_hours_in(weekdays)
        return self.temperatures(PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text))

    def temperatures(self, text: str) -> str:
        """Every "<number> °C" in the site's unit: as written (C), in Fahrenheit (F), or both."""
        if self.temperature_unit == "C":
            return text

        def convert(match: re.Match) -> str:
            number, comma, space = match.group(1), match.group(2) == ",", match.group(3)
            fahrenheit = f"{float(number.replace(',', '.')) * 9 / 5 + 32:.1f}".removesuffix(".0")
            fahrenheit = (fahrenheit.replace(".", ",") if comma else fahrenheit) + f"{space}°F"
            return fahrenheit if self.temperature_unit == "F" else f"{match.group(0)} ({fahrenheit})"

        return CELSIUS.sub(convert, text)


KNOWN_PLACEHOLDERS = frozenset(
    [
        "department_name",
        "hospital_name",
        "department_phone",
        "department_email",
        "department_address",
        "emergency_number",
        "out_of_hours_phone",
        "opening_hours",
        "response_time",
        *RULE_HOURS,
    ]
)


def _check_in_languages(in_languages: object) -> None:
    """site.yml's `in_languages`: {language code: {one of LOCALISED_FACTS: a non-empty text}}."""
    if not isinstance(in_languages, dict):
        raise ValueError(f"site.yml: in_languages must map a language code to its values, not {in_languages!r}")
    for language, values in in_languages.items():
        if not isinstance(language, str) or not re.fullmatch(r"[a-z]{2}", language):
            raise ValueError(f"site.yml: in_languages: {language!r} is not a two-letter language code such as fr")
        if language == REFERENCE:
            raise ValueError(f"site.yml: in_languages: {REFERENCE} is the reference language: its values are the top-level ones")
        if not isinstance(values, dict):
            raise ValueError(f"site.yml: in_languages.{language} must map facts to texts, not {values!r}")
        for key, value in values.items():
            if key not in LOCALISED_FACTS:
                raise ValueError(
                    f"site.yml: in_languages.{language}: {key!r} is not a fact given per language ({', '.join(LOCALISED_FACTS)})"
                )
            if not isinstance(value, str) or not value.strip():
                raise ValueError(f"site.yml: in_languages.{language}.{key} must be a non-empty text, not {value!r}")


def load_site(path: str | Path, languages: Collection[str] | None = None) -> Site:
    """site.yml as a Site. `languages`: those with a message catalog; `in_languages` may name only these."""
    site = _site(str(path), Path(path).read_text(encoding="utf-8"))
    if languages is not None and (unknown := sorted(set(site.in_languages) - set(languages))):
        raise ValueError(f"{path}: in_languages: {', '.join(unknown)} has no message catalog (languages: {', '.join(sorted(languages))})")
    return site


@functools.lru_cache(maxsize=16)
def _site(path: str, source: str) -> Site:
    """site.yml read into a Site, once per process for each distinct content (Settings.site reads the file at each
    use: every app start, and each reply that names the department). The Site is shared: nothing changes it."""
    # libyaml's parser when PyYAML has it: the same result as yaml.safe_load, faster (core/messages.py).
    data = yaml.load(source, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) or {}
    hours = {day: tuple(span) for day, span in (data.pop("opening_hours", None) or {}).items()}
    if "out_of_hours_phone" not in data:
        raise ValueError(f"{path}: out_of_hours_phone is required (an on-call line or the hospital switchboard)")
    if missing := [key for key in RULE_HOURS if key not in data]:
        raise ValueError(f"{path}: {', '.join(missing)} required (the department's rules in whole hours; see site.yml)")
    if "temperature_unit" in data:
        data["temperature_unit"] = str(data["temperature_unit"])
    if "in_languages" in data and data["in_languages"] is None:
        data["in_languages"] = {}  # the block written with nothing under it
    return Site(opening_hours=hours, **data)

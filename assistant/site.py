"""The department's facts (site.yml) and the placeholders texts may use."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True)
class Site:
    department_name: str
    hospital_name: str
    department_phone: str
    department_email: str
    department_address: str
    emergency_number: str
    timezone: str
    opening_hours: dict[str, tuple[str, str]] = field(default_factory=dict)
    response_time: str = "within one working day"
    # The shipped site.yml is an example; production mode refuses to start until the department removes this.
    example: bool = False

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

    def when_answered(self, now: dt.datetime) -> str:
        """A sentence telling the patient when the secretariat will get back to them."""
        if self.is_open(now):
            return f"The secretariat is open now and will get back to you {self.response_time}."
        opening = self.next_opening(now)
        if opening is None:
            return f"The secretariat will get back to you {self.response_time}."
        local = now.astimezone(ZoneInfo(self.timezone))
        if opening.date() == local.date():
            day = "today"
        elif opening.date() == local.date() + dt.timedelta(days=1):
            day = "tomorrow"
        else:
            day = f"on {opening.strftime('%A')}"
        return (
            f"The secretariat is closed now. It reopens {day} at {opening.strftime('%H:%M')} and will get back to you {self.response_time}."
        )

    def placeholders(self) -> dict[str, str]:
        return {
            "department_name": self.department_name,
            "hospital_name": self.hospital_name,
            "department_phone": self.department_phone,
            "department_email": self.department_email,
            "department_address": self.department_address,
            "emergency_number": self.emergency_number,
            "opening_hours": self.opening_hours_text,
            "response_time": self.response_time,
        }

    def fill(self, text: str, weekdays: list[str] | None = None) -> str:
        """Replace {placeholders} with the department's facts; unknown ones stay visible.
        `weekdays` names the days in the text's language (a message catalog's)."""
        values = self.placeholders()
        if weekdays:
            values["opening_hours"] = self.opening_hours_in(weekdays)
        return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


KNOWN_PLACEHOLDERS = frozenset(
    [
        "department_name",
        "hospital_name",
        "department_phone",
        "department_email",
        "department_address",
        "emergency_number",
        "opening_hours",
        "response_time",
    ]
)


def load_site(path: str | Path) -> Site:
    # libyaml's parser when PyYAML has it: the same result as yaml.safe_load, faster (assistant/messages.py).
    data = yaml.load(Path(path).read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) or {}
    hours = {day: tuple(span) for day, span in (data.pop("opening_hours", None) or {}).items()}
    return Site(opening_hours=hours, **data)

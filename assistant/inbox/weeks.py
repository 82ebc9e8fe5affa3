"""Weeks as the department counts them: Monday to Sunday in its own time zone, named like ISO weeks (2026-W49)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

WEEK = re.compile(r"([0-9]{4})-W([0-9]{2})")


@dataclass(frozen=True)
class Week:
    monday: dt.date
    zone: str

    @classmethod
    def containing(cls, moment: dt.datetime, zone: str) -> Week:
        local = moment.astimezone(ZoneInfo(zone)).date()
        return cls(local - dt.timedelta(days=local.weekday()), zone)

    @classmethod
    def parse(cls, value: str, zone: str) -> Week:
        """A week from '2026-W49'; ValueError for anything else."""
        match = WEEK.fullmatch(value)
        if not match:
            raise ValueError(value)
        return cls(dt.date.fromisocalendar(int(match[1]), int(match[2]), 1), zone)

    @property
    def key(self) -> str:
        year, number, _ = self.monday.isocalendar()
        return f"{year}-W{number:02d}"

    @property
    def short(self) -> str:
        """'30 Nov': the Monday, for chart axes."""
        return f"{self.monday.day} {self.monday:%b}"

    @property
    def label(self) -> str:
        """'Week 49: 30 Nov – 6 Dec 2026'."""
        sunday = self.monday + dt.timedelta(days=6)
        return f"Week {self.monday.isocalendar()[1]}: {self.monday.day} {self.monday:%b} – {sunday.day} {sunday:%b %Y}"

    @property
    def start(self) -> dt.datetime:
        """Monday 00:00 in the department's time zone, as a UTC moment."""
        return dt.datetime.combine(self.monday, dt.time(), ZoneInfo(self.zone)).astimezone(dt.UTC)

    @property
    def end(self) -> dt.datetime:
        return self.shifted(1).start

    def shifted(self, weeks: int) -> Week:
        return Week(self.monday + dt.timedelta(weeks=weeks), self.zone)

    def run(self, count: int) -> list[Week]:
        """The `count` weeks ending with this one, oldest first."""
        return [self.shifted(offset) for offset in range(1 - count, 1)]

"""Message catalogs: every sentence said to patients, per language (messages/<language>.yml).

The gateway's own sentences, the actions', the SMS/WhatsApp keyword replies, the dialogue's responses (Rasa reads
them from domain.yml; a test keeps both the same) and the widget's interface strings (`widget:`).

A clinician reviews the wording in those files without reading Python. English is the reference: a key
missing in another language falls back to it, and tests/test_messages.py checks that every language has
the keys the safety paths need.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

from core.site import REFERENCE, Site

# Keys every catalog must have: the gateway says these whatever else fails.
SAFETY_KEYS = ("emergency", "unavailable", "no_texts_in_language")
# libyaml's parser when PyYAML was built with it (the wheels are): the same documents in a tenth of the time, and
# every app start (and so nearly every gateway test) loads the catalogs (docs/BENCHMARKS.md, "Measurements behind
# design choices").
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Catalog:
    language: str
    name: str
    texts: bool  # the department has reviewed procedure texts in this language
    weekdays: list[str]
    messages: dict[str, str]
    widget: dict[str, str | list[str]]  # the web widget's interface strings (plain text, never HTML)


@functools.lru_cache(maxsize=64)
def _catalog(name: str, source: str) -> Catalog:
    """One catalog file read into a Catalog, once per process for each distinct content (every app and action
    server of a process loads the same files). The Catalog is shared: nothing changes it after loading."""
    language = Path(name).stem
    data = yaml.load(source, Loader=SAFE_LOADER)
    if data.get("language") != language:
        raise ValueError(f"{name}: 'language' must be {language!r}")
    return Catalog(
        language=language,
        name=str(data["name"]),
        texts=bool(data.get("texts")),
        weekdays=[str(d) for d in data["weekdays"]],
        messages={str(k): " ".join(str(v).split()) for k, v in data["messages"].items()},
        widget=dict(data.get("widget") or {}),
    )


class Messages:
    def __init__(self, catalogs: dict[str, Catalog]):
        if REFERENCE not in catalogs:
            raise ValueError(f"the {REFERENCE!r} message catalog is missing")
        self.catalogs = catalogs
        # localise's reverse map (filled reference sentence -> key), for the one Site a process has.
        self._reference_keys: tuple[Site, dict[str, str]] | None = None

    @classmethod
    def load(cls, directory: Path) -> Messages:
        return cls({path.stem: _catalog(path.name, path.read_text(encoding="utf-8")) for path in sorted(directory.glob("*.yml"))})

    def has(self, language: str | None) -> bool:
        return language in self.catalogs

    def answers_in(self, language: str) -> bool:
        """Questions in `language` go to the dialogue: the department has reviewed texts in it."""
        catalog = self.catalogs.get(language)
        return bool(catalog and catalog.texts)

    def text(self, key: str, language: str | None, site: Site, **values: str) -> str:
        """The sentence for `key` in `language` (the reference language's when it has none), filled from site.yml
        and from `values` (a sentence's own placeholders, such as a ticket's {reference}). The site's names and
        sentences (department_name...) are the catalog's language's where site.yml gives them in it."""
        catalog = self.catalogs.get(language or REFERENCE)
        if catalog is None or key not in catalog.messages:
            catalog = self.catalogs[REFERENCE]
        reference = catalog.language == REFERENCE
        text = site.fill(catalog.messages[key], None if reference else catalog.weekdays, None if reference else catalog.language)
        for name, value in values.items():
            text = text.replace(f"{{{name}}}", value)
        return text

    def in_language_and_reference(self, key: str, language: str | None, site: Site) -> str:
        """The sentence in the patient's language, then in the reference language (once if they are the same):
        for safety wording that a reader of either must understand."""
        first, reference = self.text(key, language, site), self.text(key, REFERENCE, site)
        return reference if first == reference else f"{first}\n\n{reference}"

    def says_when_answered_in(self, language: str | None, site: Site) -> bool:
        """Whether `language`'s catalog says when the secretariat answers and site.yml gives its response time in
        that language (`in_languages`); else it is said in the reference language, not half in it."""
        language = language or REFERENCE
        catalog = self.catalogs.get(language)
        if catalog is None or "answered_closed" not in catalog.messages:
            return False
        return site.gives("response_time", language)

    def when_answered(self, site: Site, now: dt.datetime, language: str | None) -> str:
        """When the secretariat will answer, in `language`: open now, or closed and reopening today, tomorrow or on
        a named day (the site's opening hours, in its time zone), within the site's response time. All of it in
        the reference language where `language` cannot say it (says_when_answered_in)."""
        if not self.says_when_answered_in(language, site):
            language = REFERENCE
        if site.is_open(now):
            return self.text("answered_open", language, site)
        opening = site.next_opening(now)
        if opening is None:
            return self.text("answered_no_hours", language, site)
        days_ahead = (opening.date() - now.astimezone(ZoneInfo(site.timezone)).date()).days
        if days_ahead in (0, 1):
            day = self.text("answered_today" if days_ahead == 0 else "answered_tomorrow", language, site)
        else:
            catalog = self.catalogs.get(language or REFERENCE)
            if catalog is None or "answered_on_day" not in catalog.messages:
                catalog = self.catalogs[REFERENCE]  # the sentence falls back to English: so do the day names
            weekdays = catalog.weekdays
            day = self.text("answered_on_day", language, site, weekday=weekdays[opening.weekday()])
        return self.text("answered_closed", language, site, day=day, time=opening.strftime("%H:%M"))

    def localise(self, text: str, language: str | None, site: Site, instead: dict[str, str] | None = None) -> str:
        """A reference-language sentence of the catalog (as the dialogue's responses come from domain.yml, filled)
        said in `language` instead; any other text as it is (an action's reply is already in the language).
        `instead` maps a sentence's key to another key to say in its place (a channel's own wording)."""
        instead = instead or {}
        if not instead and (not language or language == REFERENCE or language not in self.catalogs):
            return text
        key = self._keys_of_reference_texts(site).get(" ".join(text.split()))
        if key is None:
            return text
        key = instead.get(key, key)
        if key not in self.catalogs.get(language or REFERENCE, self.catalogs[REFERENCE]).messages and key not in instead.values():
            return text
        return self.text(key, language, site)

    def _keys_of_reference_texts(self, site: Site) -> dict[str, str]:
        """Every reference sentence as `site` fills it -> its key (the first key, where two say the same); made
        once per Site, not for each reply and button."""
        if self._reference_keys is None or self._reference_keys[0] is not site:
            keys: dict[str, str] = {}
            for key in self.catalogs[REFERENCE].messages:
                keys.setdefault(self.text(key, REFERENCE, site), key)
            self._reference_keys = (site, keys)
        return self._reference_keys[1]

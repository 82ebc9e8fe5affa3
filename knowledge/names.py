"""Find the procedures a message names, by the names patients use.

The names come from the texts' metadata (`names`, `title`, the id), so the
curators own them; the dialogue's entity extractor and this matcher agree
because the Rasa lookup data is generated from the same lists.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz, process

from knowledge.catalog import GENERAL
from knowledge.families import FamilyNames
from knowledge.keywords import fold

_NON_WORD = re.compile(r"[^a-z0-9]+")
FUZZY_MIN_CHARS = 6
FUZZY_SCORE = 86


def normalise(text: str) -> str:
    return " ".join(_NON_WORD.sub(" ", fold(text)).split())


def names_by_procedure(entries) -> dict[str, list[str]]:
    """Normalised names per procedure id, from each text's title and `names`.

    `entries` are documents or index chunks (anything with procedure, id or
    doc, title and names). Of the general pages only "what is IR" names the
    field itself; the others' names ("dye", "results") are topics.
    """
    names: dict[str, list[str]] = {}
    for entry in entries:
        procedure, doc_id = _get(entry, "procedure"), _get(entry, "doc") or _get(entry, "id")
        if procedure == GENERAL and doc_id != GENERAL:
            continue
        own = names.setdefault(procedure, [])
        for name in [*_get(entry, "names"), _get(entry, "title")]:
            clean = normalise(name)
            if clean and clean not in own:
                own.append(clean)
    return names


def _get(entry, key: str):
    return entry.get(key) if isinstance(entry, dict) else getattr(entry, key, None)


@dataclass(frozen=True)
class Mention:
    procedure: str
    start: int
    end: int
    name: str


class ProcedureMatcher:
    def __init__(self, names_by_procedure: dict[str, list[str]]):
        # Longest names first so "uterine fibroid embolization" wins over "embolization".
        pairs = {(normalise(name), procedure) for procedure, names in names_by_procedure.items() for name in names}
        self._names = sorted((p for p in pairs if p[0]), key=lambda p: (-len(p[0]), p))
        self._family = FamilyNames(names_by_procedure)
        # Per matcher (so a reloaded index's matcher takes its cache with it): a turn asks about one text several times.
        self._mentions = lru_cache(maxsize=512)(self._find_mentions)
        self._fuzzy_by_size: dict[int, list[int]] = {}  # words in a name -> indices of the names long enough to fuzz
        for index, (name, _) in enumerate(self._names):
            if len(name) >= FUZZY_MIN_CHARS:
                self._fuzzy_by_size.setdefault(name.count(" ") + 1, []).append(index)

    @classmethod
    def from_entries(cls, entries) -> ProcedureMatcher:
        """From documents or index chunks; a procedure's id also counts as its name."""
        names = names_by_procedure(entries)
        for procedure, own in names.items():
            if procedure != GENERAL:
                own.append(procedure.replace("_", " "))
        return cls(names)

    def mentions(self, text: str) -> list[Mention]:
        """Non-overlapping mentions in order of appearance; exact names before fuzzy ones."""
        return list(self._mentions(normalise(text)))

    def _find_mentions(self, normalised: str) -> tuple[Mention, ...]:
        padded = f" {normalised} "
        taken: list[tuple[int, int]] = []
        found: list[Mention] = []

        def free(start: int, end: int) -> bool:
            return all(end <= s or start >= e for s, e in taken)

        exact = []
        for name, procedure in self._names:
            if f" {name} " not in padded:  # a substring test first: most names are not in a message
                continue
            for match in re.finditer(re.escape(f" {name} "), padded):
                exact.append(Mention(procedure, match.start() + 1, match.end() - 1, name))
        # Leftmost-longest: of two overlapping names, the longer wins, and of two as long the one that starts
        # first ("bile drain care": "bile drain", not "drain care"), whatever order the names were listed in.
        for mention in sorted(exact, key=lambda m: (m.start - m.end, m.start, m.name)):
            if free(mention.start, mention.end):
                taken.append((mention.start, mention.end))
                found.append(mention)
        for name_index, start, end in self._fuzzy_candidates(padded):
            name, procedure = self._names[name_index]
            if free(start, end):
                taken.append((start, end))
                found.append(Mention(procedure, start, end, name))
        found.sort(key=lambda m: m.start)
        found = [Mention(self._family.resolve(m.name, m.procedure, normalised), m.start, m.end, m.name) for m in found]
        specific = [m for m in found if m.procedure != GENERAL]
        return tuple(specific or found)

    def _fuzzy_candidates(self, padded: str) -> list[tuple[int, int, int]]:
        """(name index, start, end) of every window of words close to a name, longest names first, then by position.

        The same order as comparing each name with each window in turn, with the comparisons done by rapidfuzz in C.
        """
        words = [(m.start(), m.end()) for m in re.finditer(r"\S+", padded)]
        candidates = []
        for size, indices in self._fuzzy_by_size.items():
            windows = [(words[i][0], words[i + size - 1][1]) for i in range(len(words) - size + 1)]
            if not windows:
                continue
            scores = process.cdist(
                [self._names[i][0] for i in indices], [padded[a:b] for a, b in windows], scorer=fuzz.ratio, score_cutoff=FUZZY_SCORE
            )
            for row, column in zip(*scores.nonzero(), strict=True):
                candidates.append((indices[row], *windows[column]))
        return sorted(candidates)

    def mask(self, text: str, placeholder: str = "it") -> str:
        """The normalised text with every procedure name replaced, leaving what is asked about it."""
        padded = f" {normalise(text)} "
        for mention in sorted(self.mentions(text), key=lambda m: -m.start):
            padded = padded[: mention.start] + placeholder + padded[mention.end :]
        return " ".join(padded.split())

    def procedures(self, text: str, current: str | None = None) -> list[str]:
        """The procedures `text` names, in order. A family name ("the stent", "the drain") means the
        conversation's `current` procedure when that is one of the family."""
        ordered: list[str] = []
        for mention in self.mentions(text):
            procedure = mention.procedure
            if current and procedure != current and self._family.in_family(mention.name, procedure, current):
                procedure = current
            if procedure not in ordered:
                ordered.append(procedure)
        return ordered

    def resolve(self, value: str, context: str = "", current: str | None = None) -> str | None:
        """Map an entity value or a name to a procedure id (None if unknown).

        With `context` (the whole message), a family name such as "drain" is
        resolved by the message's other words ("drain" + "jaundice": biliary).
        """
        found = self.procedures(value, current)
        if found and found[0] == current:
            return current
        if not found or not context:
            return found[0] if found else None
        return self._family.resolve(normalise(value), found[0], normalise(context))

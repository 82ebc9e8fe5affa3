"""Find the procedures a message names, by the names patients use.

The names come from the texts' metadata (`names`, `title`, the id), so the
curators own them; the dialogue's entity extractor and this matcher agree
because the Rasa lookup data is generated from the same lists.

The texts' `not_names` are names of things no text covers that patients could
take for one that does ("pulmonary embolism" is not embolization, "kidney stent"
not artery stenting). They are matched like names, so they take their words
away from the shorter or fuzzy name inside them, and lead to no text: a
message that names only such things is told there is no leaflet for it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz, process

from knowledge.catalog import GENERAL
from knowledge.families import FamilyNames
from knowledge.keywords import fold, tokenize

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


def no_text_names(entries) -> list[str]:
    """Every text's `not_names`, as written, once each (entries as for `names_by_procedure`)."""
    seen: dict[str, str] = {}
    for entry in entries:
        for name in _get(entry, "not_names") or []:
            seen.setdefault(normalise(name), str(name))
    return [name for key, name in seen.items() if key]


def _get(entry, key: str):
    return entry.get(key) if isinstance(entry, dict) else getattr(entry, key, None)


def _word_by_word(name: str, window: str) -> bool:
    """Whether each word of `window` is close to the name's word in its place. A name no text covers is
    matched fuzzily only so: "his procedure" is close to "tips procedure" as a whole, but "his" is not "tips"."""
    return all(fuzz.ratio(a, b) >= FUZZY_SCORE for a, b in zip(name.split(), window.split(), strict=True))


def _beside(padded: str, mention: Mention) -> set[str]:
    """The word before and the word after a mention, as keywords (stop words skipped)."""
    return set(tokenize(padded[: mention.start])[-1:] + tokenize(padded[mention.end :])[:1])


# Marks the key of a name no text covers: procedure ids are snake_case, so no id starts with it.
_NO_TEXT = "?"


@dataclass(frozen=True)
class Mention:
    procedure: str | None  # None: a name no text covers
    start: int
    end: int
    name: str  # the name found in the message
    no_text: str | None = None  # for procedure None: the thing named, as the texts' `not_names` write it


class ProcedureMatcher:
    def __init__(self, names_by_procedure: dict[str, list[str]], no_text_names: list[str] = ()):
        """`no_text_names`: names of things no text covers; a text's own name wins over one of them."""
        own = {normalise(name) for names in names_by_procedure.values() for name in names}
        self._no_text = {
            f"{_NO_TEXT}{normalise(name)}": str(name) for name in no_text_names if normalise(name) and normalise(name) not in own
        }
        unknown = {key: [key[len(_NO_TEXT) :]] for key in self._no_text}
        # Longest names first so "uterine fibroid embolization" wins over "embolization".
        pairs = {(normalise(name), procedure) for procedure, names in {**names_by_procedure, **unknown}.items() for name in names}
        self._names = sorted((p for p in pairs if p[0]), key=lambda p: (-len(p[0]), p))
        self._family = FamilyNames(names_by_procedure, unknown)
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
        return cls(names, no_text_names(entries))

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
            if procedure.startswith(_NO_TEXT) and not _word_by_word(name, padded[start:end]):
                continue
            if free(start, end):
                taken.append((start, end))
                found.append(Mention(procedure, start, end, name))
        found.sort(key=lambda m: m.start)
        found = [
            self._mention(self._family.resolve(m.name, m.procedure, normalised, _beside(padded, m)), m.start, m.end, m.name) for m in found
        ]
        specific = [m for m in found if m.procedure != GENERAL]
        return tuple(specific or found)

    def _mention(self, key: str, start: int, end: int, name: str) -> Mention:
        if key.startswith(_NO_TEXT):
            return Mention(None, start, end, name, self._no_text[key])
        return Mention(key, start, end, name)

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
        return [procedure for procedure in self._read(text, current) if not procedure.startswith(_NO_TEXT)]

    def no_text(self, text: str, current: str | None = None) -> list[str]:
        """The things `text` names that no text covers ("pulmonary embolism"), in order, as `not_names` write them.

        "The drain in my chest" names a chest drain, unless the conversation is about a drain
        (`current`), which it then stays with, as `procedures` says."""
        return [self._no_text[key] for key in self._read(text, current) if key.startswith(_NO_TEXT)]

    def _read(self, text: str, current: str | None) -> list[str]:
        """Procedure ids and keys of things without a text, in the order the message names them."""
        ordered: list[str] = []
        for mention in self.mentions(text):
            key = mention.procedure or f"{_NO_TEXT}{normalise(mention.no_text)}"
            if current and key != current and self._family.in_family(mention.name, mention.procedure, current):
                key = current
            if key not in ordered:
                ordered.append(key)
        return ordered

    def inside_no_text(self, text: str, start: int, end: int) -> bool:
        """Whether `text[start:end]` (an entity the extractor found) lies inside a name no text covers:
        "stent" in "my kidney stent"."""
        before, inside = normalise(text[:start]), normalise(text[start:end])
        if not inside:
            return False
        first = len(before) + (2 if before else 1)  # mentions count from the space padding the normalised text
        return any(m.procedure is None and m.start <= first and first + len(inside) <= m.end for m in self.mentions(text))

    def resolve(self, value: str, context: str = "", current: str | None = None) -> str | None:
        """Map an entity value or a name to a procedure id (None if unknown, or no text covers it).

        With `context` (the whole message), a family name such as "drain" is
        resolved by the message's other words ("drain" + "jaundice": biliary).
        """
        found = self.procedures(value, current)
        if found and found[0] == current:
            return current
        if not found or not context:
            return found[0] if found else None
        resolved = self._family.resolve(normalise(value), found[0], normalise(context))
        return None if resolved.startswith(_NO_TEXT) else resolved

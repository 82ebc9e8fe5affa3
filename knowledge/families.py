"""Names that several procedures share as a family: "drain", "stent", "biopsy", "fna".

A name is a family name when its words are part of a longer name of another
procedure ("drain" in "biliary drain" and "kidney drain"). A message that
uses it goes to the family member whose other name words it uses most ("the
drain for my jaundice": biliary drainage, from "liver drain for jaundice"),
and stays with the name's own procedure when the message gives no better clue.
The names come from the texts' metadata, so curators steer this too.
"""

from __future__ import annotations

from knowledge.catalog import GENERAL
from knowledge.keywords import tokenize

# A word in the names of this many procedures or more tells nothing ("guided", "treatment").
COMMON = 6


class FamilyNames:
    def __init__(self, names_by_procedure: dict[str, list[str]]):
        self._names: dict[str, list[set[str]]] = {}
        self._words: dict[str, set[str]] = {}
        for procedure, names in names_by_procedure.items():
            if procedure == GENERAL:
                continue
            stems = [set(tokenize(name)) for name in names]
            self._names[procedure] = [s for s in stems if s]
            self._words[procedure] = set().union(*stems)
        spread: dict[str, int] = {}
        for words in self._words.values():
            for word in words:
                spread[word] = spread.get(word, 0) + 1
        self._common = {word for word, count in spread.items() if count >= COMMON}

    def members(self, name: str, owner: str) -> list[str]:
        """Other procedures with a longer name that contains all of `name`'s words."""
        words = set(tokenize(name))
        if not words:
            return []
        return sorted(p for p, names in self._names.items() if p != owner and any(words < other for other in names))

    def in_family(self, name: str, owner: str, procedure: str) -> bool:
        """Whether `procedure` is `name`'s own procedure or one of its family ("the stent" and carotid stenting)."""
        return procedure == owner or procedure in self.members(name, owner)

    def resolve(self, name: str, owner: str, text: str) -> str:
        """The procedure `name` means in `text`: `owner` unless a family member fits the other words better."""
        members = self.members(name, owner)
        if not members:
            return owner
        clues = set(tokenize(text)) - set(tokenize(name)) - self._common

        def overlap(procedure: str) -> int:
            return len(clues & self._words.get(procedure, set()))

        scored = sorted(((overlap(p), p) for p in members), reverse=True)
        best, procedure = scored[0]
        unique = len(scored) == 1 or scored[1][0] < best
        return procedure if best > overlap(owner) and unique else owner

"""Names that several procedures share as a family: "drain", "stent", "biopsy", "fna".

A name is a family name when its words are part of a longer name of another
procedure ("drain" in "biliary drain" and "kidney drain"). A message that
uses it goes to the family member whose other name words it uses most ("the
drain for my jaundice": biliary drainage, from "liver drain for jaundice"),
and stays with the name's own procedure when the message gives no better clue.
The names come from the texts' metadata, so curators steer this too. Names
of things no text covers (`not_names`) are family members too, each on its
own, but only by a word next to the family name: "the drain in my chest" is a
chest drain, which no text covers, while "I have kidney problems, can I have
a stent?" stays with stenting although "kidney stent" is such a name.
"""

from __future__ import annotations

from knowledge.catalog import GENERAL
from knowledge.keywords import tokenize

# A word in the names of this many procedures or more tells nothing ("guided", "treatment").
COMMON = 6


class FamilyNames:
    def __init__(self, names_by_procedure: dict[str, list[str]], without_text: dict[str, list[str]] | None = None):
        """`without_text`: a key per thing no text covers, with its names."""
        self._names: dict[str, list[set[str]]] = {}
        self._words: dict[str, set[str]] = {}
        self._without_text = set(without_text or ())
        for procedure, names in {**names_by_procedure, **(without_text or {})}.items():
            if procedure == GENERAL:
                continue
            stems = [set(tokenize(name)) for name in names]
            self._names[procedure] = [s for s in stems if s]
            self._words[procedure] = set().union(*stems)
        # What is common among the texts' own names. A name that contains another's ("uterine artery
        # embolization for postpartum haemorrhage", "dye test on my arteries") only steers that name, and
        # does not make its words common.
        spread: dict[str, int] = {}
        for procedure in names_by_procedure:
            others = [words for key, names in self._names.items() if key != procedure for words in names]
            own = [words for words in self._names.get(procedure, []) if not any(o < words for o in others)]
            for word in set().union(*own):
                spread[word] = spread.get(word, 0) + 1
        self._common = {word for word, count in spread.items() if count >= COMMON}

    def members(self, name: str, owner: str | None) -> list[str]:
        """Other procedures with a longer name that contains all of `name`'s words."""
        words = set(tokenize(name))
        if not words:
            return []
        return sorted(p for p, names in self._names.items() if p != owner and any(words < other for other in names))

    def in_family(self, name: str, owner: str | None, procedure: str) -> bool:
        """Whether `procedure` is `name`'s own procedure or one of its family ("the stent" and carotid stenting)."""
        return procedure == owner or procedure in self.members(name, owner)

    def resolve(self, name: str, owner: str, text: str, beside: set[str] | None = None) -> str:
        """The procedure `name` means in `text`: `owner` unless a family member fits the other words better.

        `beside`: the words next to the name in `text`, the only clues for a thing without a text."""
        members = self.members(name, owner)
        if not members:
            return owner
        clues = set(tokenize(text)) - set(tokenize(name)) - self._common
        near = clues & (beside or set())

        def overlap(procedure: str) -> int:
            return len((near if procedure in self._without_text else clues) & self._words.get(procedure, set()))

        scored = sorted(((overlap(p), p) for p in members), reverse=True)
        best, procedure = scored[0]
        tied = [p for score, p in scored if score == best]
        # Two things without a text that fit as well ("ureteric stent", "ureteral stent") both mean: no text.
        unique = len(tied) == 1 or all(p in self._without_text for p in tied)
        return procedure if best > len(clues & self._words_apart(owner, procedure)) and unique else owner

    def _words_apart(self, owner: str, member: str) -> set[str]:
        """The owner's name words, leaving out its names that contain one of `member`'s: embolization's
        "uterine artery embolization for postpartum haemorrhage" steers fibroid embolization's name by
        "postpartum haemorrhage", and its "uterine" is no clue for embolization against fibroid embolization."""
        theirs = self._names.get(member, [])
        own = [words for words in self._names.get(owner, []) if not any(other < words for other in theirs)]
        return set().union(*own)

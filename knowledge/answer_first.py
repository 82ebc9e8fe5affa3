"""The answer first: the sentences of a section that answer the question, then the rest of the section.

A section answers a whole topic ("Afterwards") while the patient asked one thing ("can I shower?"). The
section is cut into units (prose sentences; a paragraph holding a list stays one unit, so a list is never
split from its introduction), each unit is scored against the question with the encoder that indexed the
language (dense similarity) plus the share of the question's stemmed keywords it contains, and the best one
or two lead, in the section's order. A short section, a warning-signs section, or a question that asks
no more than the section's topic ("what are the risks?", "how do I prepare for a biopsy?": every word of it is
in the section's name, the question it answers or the procedure's names) is sent whole.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from knowledge import embedding
from knowledge.catalog import section_label, section_question
from knowledge.keywords import tokenize
from knowledge.languages import REFERENCE

# Sections of at most this many units are short enough to read whole.
WHOLE_UP_TO = 3
# Sections whose every sentence matters whatever was asked.
ALWAYS_WHOLE = frozenset({"when_to_call"})
# How much the share of the question's keywords in a unit adds to its cosine similarity.
KEYWORD_WEIGHT = 0.5
# A second unit leads too when it scores nearly as well as the best one.
SECOND_WITHIN = 0.05
# Vectors of the texts' sentences: the texts change rarely; a turn re-uses them.
SENTENCE_CACHE = 4096

# Words that tie a sentence to the one before it ("You also need...", "Además, ..."): a lead sentence with one
# among its first CONTINUES_WITHIN words brings the sentence before it in its paragraph, or it reads as an
# answer to something not shown. Languages with texts (knowledge/languages.py).
CONTINUES = {
    "en": frozenset({"also", "however", "moreover", "furthermore", "otherwise", "others"}),
    "fr": frozenset({"aussi", "également", "cependant", "toutefois", "sinon", "outre", "ailleurs", "autres"}),
    "es": frozenset({"además", "también", "embargo", "contrario", "asimismo", "otros", "otras"}),
}
CONTINUES_WITHIN = 4

_PARAGRAPHS = re.compile(r"\n[ \t]*\n")
_LIST_ITEM = re.compile(r"^[ \t]*(?:[-*+•]|\d+[.)])[ \t]+", re.MULTILINE)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


@dataclass(frozen=True)
class Unit:
    paragraph: int  # which paragraph of the section it belongs to
    text: str


@dataclass(frozen=True)
class Folded:
    lead: str  # the answering sentences, in section order
    rest: str  # the remainder of the section, its paragraphs kept


def units_of(text: str) -> list[Unit]:
    """Sentences of prose paragraphs; a paragraph with a list item is one unit."""
    units: list[Unit] = []
    paragraphs = [p.strip() for p in _PARAGRAPHS.split(text.strip()) if p.strip()]
    for number, paragraph in enumerate(paragraphs):
        if _LIST_ITEM.search(paragraph):
            units.append(Unit(number, paragraph))
        else:
            units.extend(Unit(number, sentence) for sentence in sentences(paragraph))
    return units


def sentences(paragraph: str) -> list[str]:
    """A prose paragraph's sentences. A sentence ends at . ! or ? and a space before anything but a small
    letter: "e.g. the dressing" and "approx. one hour" stay one."""
    found: list[str] = []
    for piece in _SENTENCE_END.split(paragraph.strip()):
        piece = " ".join(piece.split())
        if found and piece[:1].islower():
            found[-1] += " " + piece
        elif piece:
            found.append(piece)
    return found


def joined(units: list[Unit]) -> str:
    """Units written out as paragraphs of sentences."""
    text, paragraph = "", None
    for unit in units:
        if text:
            text += " " if unit.paragraph == paragraph else "\n\n"
        text, paragraph = text + unit.text, unit.paragraph
    return text


@lru_cache(maxsize=SENTENCE_CACHE)
def _unit_vector(text: str, language: str) -> np.ndarray:
    return embedding.embed([text], language=language, passages=True)[0]


def scores(question: str, units: list[Unit], language: str, question_vector: np.ndarray | None = None) -> np.ndarray:
    """Per unit: cosine similarity with the question plus KEYWORD_WEIGHT x the share of its keywords present."""
    if question_vector is None:
        question_vector = embedding.embed([question], language=language)[0]
    dense = np.array([float(_unit_vector(unit.text, language) @ question_vector) for unit in units])
    asked = set(tokenize(question, language))
    shared = np.array([len(asked & set(tokenize(unit.text, language))) / len(asked) if asked else 0.0 for unit in units])
    return dense + KEYWORD_WEIGHT * shared


def topic_words(chunk: dict) -> str:
    """What a question about the chunk's topic as a whole is made of: the section's name and the question it
    answers, the procedure's title and names."""
    language, section = chunk.get("language", REFERENCE), chunk["section"]
    try:
        named = [section_label(section, language), section_question(section, chunk["title"], language)]
    except KeyError:  # a section the catalog does not name
        named = []
    return " ".join([*named, chunk["title"], *chunk.get("names", [])])


def asks_within_topic(question: str, topic: str, language: str = REFERENCE) -> bool:
    """Whether every keyword of the question is one of the topic's."""
    return not set(tokenize(question, language)) - set(tokenize(topic, language))


def fold(
    text: str,
    question: str,
    section: str,
    language: str = REFERENCE,
    question_vector: np.ndarray | None = None,
    topic: str = "",
) -> Folded | None:
    """The section's text as lead + rest, or None where it is to be sent whole. `topic`: topic_words(chunk)."""
    units = units_of(text)
    if section in ALWAYS_WHOLE or len(units) <= WHOLE_UP_TO or asks_within_topic(question, topic, language):
        return None
    score = scores(question, units, language, question_vector)
    order = np.argsort(-score, kind="stable")
    chosen = {int(order[0])}
    if score[order[1]] >= score[order[0]] - SECOND_WITHIN:
        chosen.add(int(order[1]))
    chosen |= {i - 1 for i in chosen if i > 0 and units[i - 1].paragraph == units[i].paragraph and continues(units[i].text, language)}
    if len(chosen) == len(units):
        return None
    lead = " ".join(units[i].text for i in sorted(chosen))
    rest = joined([unit for i, unit in enumerate(units) if i not in chosen])
    return Folded(lead, rest)


def continues(sentence: str, language: str) -> bool:
    """Whether the sentence goes on from the one before it (one of the language's CONTINUES words early on)."""
    early = [word.strip(".,;:!?¡¿«»\"'()").lower() for word in sentence.split()[:CONTINUES_WITHIN]]
    return not CONTINUES.get(language, frozenset()).isdisjoint(early)

"""Example questions per topic, taken from the dialogue's training data.

The retriever compares a question, with its procedure names masked, with these
(nearest examples per topic, their procedure names masked the same way) so
that "how long till I can lift things" leans towards `return_to_activity`
even when the section's own words differ. They are the same examples the
intent classifier learns from (every `ask_<topic>` intent in data/nlu/topics.yml),
so the two agree. The symptom reports the dialogue escalates
(`report_symptom` in data/nlu/escalation.yml) count for `when_to_call`: the
section that says which symptoms need help.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import yaml

from core.config import ROOT
from knowledge.catalog import TOPICS

SOURCES = (ROOT / "data" / "nlu" / "topics.yml", ROOT / "data" / "nlu" / "escalation.yml")
# The other languages' examples are in one file each (data/nlu/<code>.yml), under the same intents.
NLU_DIR = ROOT / "data" / "nlu"


def sources(language: str = "en") -> tuple[Path, ...]:
    return SOURCES if language == "en" else (NLU_DIR / f"{language}.yml",)


# Intents that are not `ask_<topic>` but whose examples ask about a topic.
TOPIC_OF_INTENT = {"report_symptom": "when_to_call"}
_ANNOTATION = re.compile(r"\[([^\]]+)\]\([^)]*\)|\[([^\]]+)\]\{[^}]*\}")


def plain(example: str) -> str:
    """'what is [UFE](procedure)?' -> 'what is it?': the topic, not the procedure, is compared."""
    return _ANNOTATION.sub("it", example).strip()


def topic_of(intent: str) -> str | None:
    topic = TOPIC_OF_INTENT.get(intent) or (intent.removeprefix("ask_") if intent.startswith("ask_") else None)
    return topic if topic in TOPICS else None


def load(paths: tuple[Path, ...] = SOURCES) -> list[tuple[str, str]]:
    """(topic, example) pairs for every intent that asks about a topic."""
    pairs = []
    for path in paths:
        if not path.exists():
            continue
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for block in data.get("nlu", []):
            topic = topic_of(str(block.get("intent", "")))
            if topic is None:
                continue
            for line in str(block.get("examples", "")).splitlines():
                line = line.strip()
                if line.startswith("- "):
                    pairs.append((topic, plain(line[2:])))
    return pairs


def source_hash(paths: tuple[Path, ...] = SOURCES) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.read_bytes() if path.exists() else b"")
    return digest.hexdigest()

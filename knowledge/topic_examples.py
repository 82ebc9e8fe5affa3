"""Example questions per topic, taken from the dialogue's training data.

The retriever compares a question, with its procedure names masked, with these
(nearest examples per topic, their procedure names masked the same way) so
that "how long till I can lift things" leans towards `return_to_activity`
even when the section's own words differ. They are the same examples the
intent classifier learns from (data/nlu/topics.yml), so the two agree.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import yaml

from assistant.config import ROOT
from knowledge.catalog import TOPICS

SOURCE = ROOT / "data" / "nlu" / "topics.yml"
_ANNOTATION = re.compile(r"\[([^\]]+)\]\([^)]*\)|\[([^\]]+)\]\{[^}]*\}")


def plain(example: str) -> str:
    """'what is [UFE](procedure)?' -> 'what is it?': the topic, not the procedure, is compared."""
    return _ANNOTATION.sub("it", example).strip()


def load(path: Path = SOURCE) -> list[tuple[str, str]]:
    """(topic, example) pairs for every ask_<topic> intent."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    pairs = []
    for block in data.get("nlu", []):
        intent = block.get("intent", "")
        topic = intent.removeprefix("ask_")
        if not intent.startswith("ask_") or topic not in TOPICS:
            continue
        for line in str(block.get("examples", "")).splitlines():
            line = line.strip()
            if line.startswith("- "):
                pairs.append((topic, plain(line[2:])))
    return pairs


def source_hash(path: Path = SOURCE) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else ""

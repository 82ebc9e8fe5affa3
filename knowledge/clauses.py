"""The first question of a message that asks several.

"What happens on the day of the gastrostomy, do I stay overnight?" asks about
the day first; the stay is a follow-up. Patients put their main question
first, so the retriever scores the first clause as well as the whole message
and blends the two (knowledge/retriever.py). Only a first clause that is a
question counts: in "I'm on apixaban, do I stop it?" the question comes second.
"""

from __future__ import annotations

import re

_BREAK = re.compile(r"[,?.;!:]+")
# A question: a question word anywhere ("tace day what happens"), or a verb first ("will it hurt").
_QUESTION = re.compile(
    r"\b(?:what|whats|wat|how|hw|when|wen|why|who|where|which)\b|"
    r"^(?:will|would|can|could|do|does|did|is|are|am|should|shall|have|has|may|must)\b",
    re.IGNORECASE,
)
MIN_WORDS = 3  # a shorter first part ("ok, ...", "hi, ...") is not a question of its own


def first_clause(text: str) -> str | None:
    """The first clause when `text` has more than one and the first is long enough; else None."""
    parts = [part.strip() for part in _BREAK.split(text) if part and part.strip()]
    if len(parts) < 2 or len(parts[0].split()) < MIN_WORDS or not _QUESTION.search(parts[0]):
        return None
    return parts[0]

"""The first question of a message that asks several.

"What happens on the day of the gastrostomy, do I stay overnight?" asks about
the day first; the stay is a follow-up. Patients put their main question
first, so the retriever scores the first clause as well as the whole message
and blends the two (knowledge/retriever.py).
"""

from __future__ import annotations

import re

# Clause breaks: punctuation, and the words that join a second question on.
_BREAK = re.compile(r"[,?.;!:]+|\b(?:and|but|or|also)\b", re.IGNORECASE)
MIN_WORDS = 3  # a shorter first part ("ok, ...", "hi, ...") is not a question of its own


def first_clause(text: str) -> str | None:
    """The first clause when `text` has more than one and the first is long enough; else None."""
    parts = [part.strip() for part in _BREAK.split(text) if part and part.strip()]
    if len(parts) < 2 or len(parts[0].split()) < MIN_WORDS:
        return None
    return parts[0]

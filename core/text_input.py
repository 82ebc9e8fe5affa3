"""Text typed by a person (a patient's message, a staff member's form field), made safe to keep and compare."""

from __future__ import annotations

import unicodedata


def clean_text(value: str) -> str:
    """Normalise (NFC), drop invisible format and control characters, keep line breaks."""
    value = unicodedata.normalize("NFC", value)
    kept = [ch for ch in value if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co")]
    return "".join(kept).strip()

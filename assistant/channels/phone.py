"""Phone numbers as the channels use them: E.164 (+447700900123), masked in logs."""

from __future__ import annotations

import re

E164 = re.compile(r"^\+[1-9]\d{6,14}$")


def e164(value: str | None) -> str | None:
    """The number in E.164 form, or None when it is not a phone number."""
    if value is None:
        return None
    value = value.strip()
    if not value.startswith("+"):
        value = "+" + value  # WhatsApp's Cloud API sends the number without "+"
    return value if E164.match(value) else None


def mask(number: str) -> str:
    """Enough to tell two patients apart in a log, not enough to call them."""
    return number[:3] + "*" * max(len(number) - 5, 0) + number[-2:] if len(number) > 5 else "*" * len(number)

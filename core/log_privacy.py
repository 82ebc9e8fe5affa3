"""Logs never show a patient's phone number or e-mail address.

A logging filter masks them in every record, whatever module wrote it, so a
log line quoting a message or an address is safe to keep and to share.
"""

from __future__ import annotations

import logging
import re

EMAIL = re.compile(r"[\w.+-]{1,64}@[\w-]+(?:\.[\w-]+)+")
# Seven or more digits, possibly with spaces, dots, dashes or brackets, optionally after "+".
PHONE = re.compile(r"(?<![\w.])\+?\d(?:[\s().-]?\d){6,16}(?![\w])")


DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _mask_phone(match: re.Match) -> str:
    found = match.group()
    return found if DATE.fullmatch(found) else found[:3] + "***" + found[-2:]


def mask_text(text: str) -> str:
    text = EMAIL.sub(lambda m: m.group()[0] + "***@***", text)
    return PHONE.sub(_mask_phone, text)


class MaskPersonalData(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_text(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


def install(logger: logging.Logger | None = None) -> None:
    """Mask personal data in everything the root logger's handlers write."""
    target = logger or logging.getLogger()
    for handler in target.handlers:
        if not any(isinstance(f, MaskPersonalData) for f in handler.filters):
            handler.addFilter(MaskPersonalData())

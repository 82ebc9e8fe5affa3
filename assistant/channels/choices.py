"""Numbered choices: a reply of "1" on SMS/WhatsApp means the first button of the assistant's last turn.

Nothing extra is stored: TurnHandler keeps each reply's buttons in the message's
data, and `formatting.choice_list` numbers them exactly as they were shown.
"""

from __future__ import annotations

import re

from assistant.channels.formatting import choice_list
from core.storage.conversations import history
from core.storage.database import Database

NUMBER = re.compile(r"^\s*(\d{1,2})\s*[.)]?\s*$")


def last_choices(db: Database, channel: str, sender_key: str) -> list[dict]:
    """The buttons of the assistant's replies since the patient's last message; none once staff have written."""
    turn: list[dict] = []
    for message in reversed(history(db, channel, sender_key)):
        if message["role"] != "assistant":
            if message["role"] != "patient":
                return []  # a staff message came after the choices: "1" now answers the staff member
            break
        turn.append(message)
    turn.reverse()
    return choice_list((m["data"].get("route"), m["data"].get("buttons") or []) for m in turn)


def resolve(db: Database, channel: str, sender_key: str, text: str) -> str:
    """The payload the patient chose by number (or by typing the choice's title), else the text unchanged."""
    choices = last_choices(db, channel, sender_key)
    if not choices:
        return text
    number = NUMBER.match(text)
    if number:
        index = int(number.group(1)) - 1
        return choices[index]["payload"] if 0 <= index < len(choices) else text
    typed = text.strip().casefold()
    return next((c["payload"] for c in choices if c.get("title", "").strip().casefold() == typed), text)

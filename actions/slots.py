"""Slot events for the values that change, and none for those that do not.

Every event an action returns is validated by Rasa, stored as a row in the
tracker store, read back and replayed on every later turn, and sent back to
the action server with the tracker: a `SlotSet` that repeats the slot's value
costs all of that and changes nothing. The slots set here do not influence the
dialogue's predictions (`influence_conversation: false` in domain.yml), so an
event the value already has can be left out.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet


def slot_changes(tracker: Tracker, **values: Any) -> list[dict]:
    """`SlotSet` events, in the order given, for the values that differ from the tracker's."""
    return [SlotSet(name, value) for name, value in values.items() if tracker.get_slot(name) != value]

"""The table Rasa's SQL tracker store keeps conversations in: one row per event, in `events`; and the
project's own `turn_fences` beside it (rasa_addons/tracker_store.py).

This is the one place outside Rasa that knows the layout: the retention commands
(assistant/inbox/retention.py) delete a patient's rows from it, and the tests read
it. It imports nothing of Rasa, so the gateway's environment can use it; written
for the Rasa version in rasa_addons/rasa_version.py, and tests/test_rasa_addons.py
checks it against that Rasa's own table (SQLTrackerStore.SQLEvent).
"""

from __future__ import annotations

from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text

metadata = MetaData()

EVENTS = Table(
    "events",
    metadata,
    Column("id", Integer, primary_key=True),
    # Rasa's sender id: "channel:sender" as the gateway names conversations.
    Column("sender_id", String(255), nullable=False, index=True),
    Column("type_name", String(255), nullable=False),
    # Seconds since the epoch (UTC), when the event happened.
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),  # the event as JSON
)


# Per conversation, the fencing token of the turn that last read it under an exclusive lock
# (rasa_addons/lock_store.py): only that turn may append events. Created by the tracker store.
TURN_FENCES = Table(
    "turn_fences",
    metadata,
    Column("sender_id", String(255), primary_key=True),
    Column("token", String(64)),  # NULL: last written by a server without such a lock
)

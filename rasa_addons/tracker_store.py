"""Rasa's SQL tracker store, with SQLite set up for a server that writes on every turn,
and the conversations of the last minutes kept in memory between their turns.

On SQLite (the embedded default) the tracker database uses write-ahead logging
with `synchronous=NORMAL`, as the gateway's database does: a commit no longer
waits for two disk flushes, readers do not block the writer, and a crash of
any process loses nothing (only a power cut can lose the last moments). Its
connections are pooled: SQLAlchemy 1.4, which Rasa 3.6 uses, opens and closes
a new connection for every session on a SQLite file, three times a turn here,
where SQLAlchemy 2 pools them.

Rasa 3.6 rebuilds a conversation on every turn: it reads all of the session's
events from the database, parses them and replays them one by one. That work
grows with the conversation, and a rule's reply with it. Here the tracker a
turn saved is kept, and the next turn of that conversation gets it back without
the rebuild, but only when the database still ends with the event this server
wrote last (one indexed query; with several Rasa servers, a turn another server
handled makes it read the database again) and the tracker holds exactly what a
rebuild would give. A turn that fails before saving leaves nothing kept. Kept
trackers are dropped after IDLE_SECONDS without a turn, and past CONVERSATIONS
the least recent goes first.

What each of these saves: docs/BENCHMARKS.md, "Measurements behind design choices".
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import create_engine, event, func
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import QueuePool

from rasa_addons import rasa_version

# A conversation's turns come seconds or minutes apart; the rest would only hold memory.
IDLE_SECONDS = 600
CONVERSATIONS = 500


@dataclass
class _Kept:
    tracker: DialogueStateTracker
    last_event_id: int  # the database's last event for this conversation, then
    saved_at: float


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class TunedSQLTrackerStore(SQLTrackerStore):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Builds on SQLTrackerStore's internals (SQLEvent, _event_query, session_scope): only on the Rasa it was written for.
        rasa_version.check_installed()
        super().__init__(*args, **kwargs)
        if self.engine.dialect.name == "sqlite" and self.engine.url.database not in (None, "", ":memory:"):
            self.engine.dispose()
            # Rasa calls the store from its event loop's thread; the pool hands a connection to one session at a time.
            self.engine = create_engine(self.engine.url, poolclass=QueuePool, connect_args={"check_same_thread": False})
            event.listen(self.engine, "connect", _sqlite_pragmas)
            self.sessionmaker = sessionmaker(bind=self.engine)
        self._kept: OrderedDict[str, _Kept] = OrderedDict()

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        kept = self._kept.pop(sender_id, None)  # taken: a turn that fails before saving leaves nothing behind
        if kept is not None and time.monotonic() - kept.saved_at < IDLE_SECONDS and self._last_event_id(sender_id) == kept.last_event_id:
            return kept.tracker
        return await super().retrieve(sender_id)

    async def save(self, tracker: DialogueStateTracker) -> None:
        await super().save(tracker)
        self._keep(tracker)

    def _last_event_id(self, sender_id: str) -> int | None:
        with self.session_scope() as session:
            return session.query(func.max(self.SQLEvent.id)).filter(self.SQLEvent.sender_id == sender_id).scalar()

    def _keep(self, tracker: DialogueStateTracker) -> None:
        """Keep the saved tracker if it holds exactly the events a rebuild from the database would replay."""
        with self.session_scope() as session:
            # Rasa's own query for what `retrieve` reads: the events of the latest session.
            stored, last_event_id = (
                self._event_query(session, tracker.sender_id, fetch_events_from_all_sessions=False)
                .order_by(None)
                .with_entities(func.count(self.SQLEvent.id), func.max(self.SQLEvent.id))
                .one()
            )
        # Not kept when they differ: the first turn holds `action_session_start` from before the session's start,
        # and a turn that began a new session holds the old one too. The next turn reads the database instead.
        if stored != len(tracker.events):
            return
        now = time.monotonic()
        self._kept[tracker.sender_id] = _Kept(tracker, last_event_id, now)
        while self._kept:
            oldest = next(iter(self._kept.values()))
            if len(self._kept) <= CONVERSATIONS and now - oldest.saved_at < IDLE_SECONDS:
                break
            self._kept.popitem(last=False)

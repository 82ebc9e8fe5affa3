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
the rebuild. The rule: a kept tracker is reused only when it is provably the
database's state, that is
- the turn holds an exclusive lock on the conversation from
  rasa_addons/lock_store.py (FencedRedisLockStore, or InProcessLockStore for a
  single server). Under any other lock store (Rasa's `redis` store, whose
  tickets let two servers in at once, or its in-memory store, exclusive only
  within one server) nothing is kept or reused;
- the turn has recorded its fencing token for the conversation in the database
  (`turn_fences`), and in the same transaction the database's last event for
  the conversation is still the one it was when the tracker was kept (one
  indexed query; a turn another server handled makes it read the database);
- the tracker held exactly what a rebuild would give when it was kept (counted
  in a transaction that holds the fence row, so no other turn wrote meanwhile).
Fencing: a save under such a lock appends its events only if the conversation's
recorded token is still its own (checked in the transaction that appends, on
the row locked); a turn whose lock ended and was taken by another turn is
refused and logged as an error, and so is a turn whose lock store found the
lock lost. A save without such a lock clears the token, so a turn holding one
that read the conversation before cannot write after it. (An event broker, if
one is configured, hears of a refused turn's events before the refusal.)

A turn that fails before saving leaves nothing kept. Kept trackers are dropped
after IDLE_SECONDS without a turn, and past CONVERSATIONS the least recent
goes first.

What each of these saves: docs/BENCHMARKS.md, "Measurements behind design choices".
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import create_engine, event, func, inspect, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

from rasa_addons import rasa_version
from rasa_addons.lock_store import HeldLock, held_lock
from rasa_addons.tracker_schema import TURN_FENCES

logger = logging.getLogger(__name__)

# A conversation's turns come seconds or minutes apart; the rest would only hold memory.
IDLE_SECONDS = 600
CONVERSATIONS = 500


class FencedOff(RuntimeError):
    """A turn whose lock on the conversation ended, or was taken by another turn, tried to save."""


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
        # Builds on SQLTrackerStore's internals (SQLEvent, _event_query, _additional_events, session_scope): only on
        # the Rasa it was written for.
        rasa_version.check_installed()
        super().__init__(*args, **kwargs)
        if self.engine.dialect.name == "sqlite" and self.engine.url.database not in (None, "", ":memory:"):
            self.engine.dispose()
            # Rasa calls the store from its event loop's thread; the pool hands a connection to one session at a time.
            self.engine = create_engine(self.engine.url, poolclass=QueuePool, connect_args={"check_same_thread": False})
            event.listen(self.engine, "connect", _sqlite_pragmas)
            self.sessionmaker = sessionmaker(bind=self.engine)
        self._create_fences()
        self._kept: OrderedDict[str, _Kept] = OrderedDict()

    def _create_fences(self) -> None:
        try:
            TURN_FENCES.create(self.engine, checkfirst=True)
        except DBAPIError:
            if not inspect(self.engine).has_table(TURN_FENCES.name):  # else another server starting created it first
                raise

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        kept = self._kept.pop(sender_id, None)  # taken: a turn that fails before saving leaves nothing behind
        held = held_lock(sender_id)
        if held is not None:
            last_event_id = await self._claim(held)
            if kept is not None and time.monotonic() - kept.saved_at < IDLE_SECONDS and last_event_id == kept.last_event_id:
                return kept.tracker
        return await super().retrieve(sender_id)

    async def save(self, tracker: DialogueStateTracker) -> None:
        held = held_lock(tracker.sender_id)
        if held is not None and not held.fence_claimed:  # saved without being read first (Rasa's HTTP API can)
            await self._claim(held)
        await super().save(tracker)  # fenced in _additional_events, inside the transaction that appends
        if held is not None:
            self._keep(tracker, held)

    async def _claim(self, held: HeldLock) -> int | None:
        """Record the turn's token as the only one that may write the conversation; the last event id as of then."""
        if not await held.still_held():
            return None
        with self.session_scope() as session:
            self._record_token(session, held.conversation_id, held.token)
            last_event_id = self._last_event_id(session, held.conversation_id)
            session.commit()
        held.fence_claimed = True
        return last_event_id

    def _record_token(self, session: Session, sender_id: str, token: str | None) -> None:
        if token is None:  # cleared: only a conversation some turn fenced has a row
            session.execute(TURN_FENCES.update().where(TURN_FENCES.c.sender_id == sender_id).values(token=None))
            return
        dialect = self.engine.dialect.name
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        elif dialect == "sqlite":
            from sqlalchemy.dialects.sqlite import insert
        else:
            raise NotImplementedError(f"turn fences are written for PostgreSQL and SQLite, not {dialect}")
        upsert = insert(TURN_FENCES).values(sender_id=sender_id, token=token)
        session.execute(upsert.on_conflict_do_update(index_elements=[TURN_FENCES.c.sender_id], set_={"token": token}))

    def _last_event_id(self, session: Session, sender_id: str) -> int | None:
        return session.query(func.max(self.SQLEvent.id)).filter(self.SQLEvent.sender_id == sender_id).scalar()

    def _recorded_token(self, session: Session, sender_id: str, *, for_update: bool) -> str | None:
        query = select(TURN_FENCES.c.token).where(TURN_FENCES.c.sender_id == sender_id)
        return session.execute(query.with_for_update(read=not for_update)).scalar()

    def _additional_events(self, session: Session, tracker: DialogueStateTracker) -> Iterator:
        """Rasa's save calls this in its transaction before appending: the fence is checked there."""
        held = held_lock(tracker.sender_id)
        if held is None:
            self._record_token(session, tracker.sender_id, None)
        elif held.lost or self._recorded_token(session, tracker.sender_id, for_update=True) != held.token:
            logger.error(
                "REFUSED to save conversation %s: the turn with token %s no longer holds its lock (%s); "
                "another turn has read or written the conversation since. Its events are not stored.",
                tracker.sender_id,
                held.token,
                "the lock store lost it" if held.lost else "the database records another turn's token",
            )
            raise FencedOff(f"Conversation '{tracker.sender_id}': the turn's lock (token {held.token}) ended; save refused.")
        return super()._additional_events(session, tracker)

    def _keep(self, tracker: DialogueStateTracker, held: HeldLock) -> None:
        """Keep the saved tracker if it holds exactly the events a rebuild from the database would replay."""
        with self.session_scope() as session:
            # Holding the fence row (shared) keeps every other turn from claiming and writing while counting.
            if self._recorded_token(session, tracker.sender_id, for_update=False) != held.token:
                return
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

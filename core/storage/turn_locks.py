"""One turn at a time per conversation, for every gateway worker and machine that shares the database.

A turn holds a lease: a row in `turn_locks` keyed by (channel, sender), inserted in a short transaction and
deleted when the turn ends. A second message of the same conversation tries the insert again every 50 ms for a
bounded time (the primary key decides, on SQLite and PostgreSQL alike, so two processes never both hold it) and
is then refused; no transaction stays open while Rasa answers. A lease left by a crashed worker expires
(`lease_seconds`) and the next turn takes it over.

When the database cannot be reached the turn goes ahead without the lease: the patient is answered (the turn
queues its writes: core/storage/pending_writes.py), never refused because the database is down. A turn also
holds a lock of its own process, taken first: with one worker process per gateway and each conversation sent
to one gateway, two messages sent together are still answered and stored one turn after the other while the
database is down (two gateways can then overlap only when the conversation moves between them).
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from core.storage.database import Database
from core.storage.models import TurnLock

log = logging.getLogger(__name__)
RETRY_SECONDS = 0.05


class Busy(Exception):
    """Another turn of the conversation is still running."""


def _try(db: Database, channel: str, sender: str, holder: str, lease_seconds: float) -> bool:
    now = dt.datetime.now(dt.UTC)
    try:
        with db.session() as session:
            session.execute(delete(TurnLock).where(TurnLock.channel == channel, TurnLock.sender_key == sender, TurnLock.expires_at < now))
            session.add(TurnLock(channel=channel, sender_key=sender, holder=holder, expires_at=now + dt.timedelta(seconds=lease_seconds)))
        return True
    except IntegrityError:
        return False


# This process's turns, per conversation: [lock, turns using it]; an entry goes when no turn uses it.
_local: dict[tuple[str, str], list] = {}
_local_guard = threading.Lock()


@contextmanager
def _local_turn(channel: str, sender: str, wait_seconds: float) -> Iterator[None]:
    key = (channel, sender)
    with _local_guard:
        entry = _local.setdefault(key, [threading.Lock(), 0])
        entry[1] += 1
    try:
        if not entry[0].acquire(timeout=max(wait_seconds, 0.0)):
            raise Busy
        try:
            yield
        finally:
            entry[0].release()
    finally:
        with _local_guard:
            entry[1] -= 1
            if not entry[1]:
                del _local[key]


@contextmanager
def turn(db: Database, channel: str, sender: str, wait_seconds: float, lease_seconds: float) -> Iterator[None]:
    """Hold the conversation's turn for the block; Busy if another turn still holds it after `wait_seconds`."""
    deadline = time.monotonic() + wait_seconds
    with _local_turn(channel, sender, wait_seconds), _lease(db, channel, sender, deadline, lease_seconds):
        yield


@contextmanager
def _lease(db: Database, channel: str, sender: str, deadline: float, lease_seconds: float) -> Iterator[None]:
    """The database's lease, shared by every process; the turn goes ahead without it when the database fails."""
    holder = secrets.token_hex(16)
    try:
        while not _try(db, channel, sender, holder, lease_seconds):
            left = deadline - time.monotonic()
            if left <= 0:
                raise Busy
            time.sleep(min(RETRY_SECONDS, left))
        held = True
    except SQLAlchemyError as exc:
        log.error("turn lock not available (%s); the %s turn goes ahead without it", exc.__class__.__name__, channel)
        held = False
    try:
        yield
    finally:
        if held:
            _release(db, channel, sender, holder)


def _release(db: Database, channel: str, sender: str, holder: str) -> None:
    try:
        with db.session() as session:
            session.execute(delete(TurnLock).where(TurnLock.channel == channel, TurnLock.sender_key == sender, TurnLock.holder == holder))
    except SQLAlchemyError as exc:  # the lease expires by itself
        log.error("turn lock not released (%s)", exc.__class__.__name__)

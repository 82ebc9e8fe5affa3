"""Writes replayed after a database outage are applied once: each carries an id, recorded in `replayed_writes` in
the same transaction as the write, so a second replay of it (by another gateway, or after a crash between the
write and its removal from the queue) finds the id and writes nothing."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite

from core.storage.database import Database
from core.storage.models import ReplayedWrite, utcnow

KEPT = dt.timedelta(days=7)  # far longer than a write waits in the queue


def first_application(connection, write_id: str | None) -> bool:
    """Record `write_id` in the caller's transaction: True when it was not recorded before (or there is no id).
    On PostgreSQL a concurrent replay of the same id waits here until the first commits, then finds it."""
    if write_id is None:
        return True
    bound = connection.dialect if hasattr(connection, "dialect") else connection.get_bind().dialect  # a Connection or a Session
    dialect = postgresql if bound.name == "postgresql" else sqlite
    statement = dialect.insert(ReplayedWrite).values(id=write_id, applied_at=utcnow()).on_conflict_do_nothing().returning(ReplayedWrite.id)
    return connection.execute(statement).first() is not None  # a row only when inserted (rowcount is not reliable here)


def forget_old(db: Database) -> None:
    """Drop ids older than any write still waiting could be."""
    with db.session() as session:
        session.execute(delete(ReplayedWrite).where(ReplayedWrite.applied_at < utcnow() - KEPT))

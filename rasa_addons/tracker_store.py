"""Rasa's SQL tracker store, with SQLite set up for a server that writes on every turn.

On SQLite (the embedded default) the tracker database uses write-ahead logging
with `synchronous=NORMAL`, as the gateway's database does: a commit no longer
waits for two disk flushes, readers do not block the writer, and a crash of
any process loses nothing (only a power cut can lose the last moments). On
PostgreSQL it is Rasa's store unchanged.
"""

from __future__ import annotations

from typing import Any

from rasa.core.tracker_store import SQLTrackerStore
from sqlalchemy import event


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class TunedSQLTrackerStore(SQLTrackerStore):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
            self.engine.dispose()  # connections opened while creating the tables reconnect with the pragmas

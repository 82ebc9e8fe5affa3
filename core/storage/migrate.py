"""`python -m core.storage.migrate [revision]`: bring the database schema up to date.

Wraps Alembic so the same migrations run from `make run`, the tests, a deployment's migration job and by hand;
`python -m core.storage.migrate --autogenerate "message"` drafts a new one.

On PostgreSQL the upgrade runs under a session-level advisory lock (`pg_advisory_lock`), so gateways or jobs
that start at once migrate one after the other: the first applies the migrations, the others wait, then find
the schema up to date. Without it, two upgrades of an empty database raced, and one failed on a table the
other had just created.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text

from core.config import SqliteTuning
from core.storage.database import DEFAULT_SQLITE, make_engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# The advisory lock's key: any 64-bit number the project's other advisory locks do not use ("IR-MIGR").
MIGRATION_LOCK = 0x49522D4D494752


def alembic_config(url: str, sqlite: SqliteTuning = DEFAULT_SQLITE) -> Config:
    config = Config()
    config.attributes["sqlite"] = sqlite  # read by migrations/env.py
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


@contextmanager
def migration_lock(url: str, sqlite: SqliteTuning = DEFAULT_SQLITE) -> Iterator[None]:
    """Hold PostgreSQL's advisory lock for migrations (waiting for whoever holds it); nothing on SQLite, where
    Alembic's transaction already takes the one writer lock."""
    engine = make_engine(url, sqlite)
    if engine.dialect.name != "postgresql":
        engine.dispose()
        yield
        return
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK})
            connection.commit()
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK})
                connection.commit()
    finally:
        engine.dispose()


def upgrade(url: str, revision: str = "head", sqlite: SqliteTuning = DEFAULT_SQLITE) -> None:
    with migration_lock(url, sqlite):
        command.upgrade(alembic_config(url, sqlite), revision)


def main(argv: list[str]) -> int:
    from core.config import Settings

    settings = Settings.from_env()
    if argv[:1] == ["--autogenerate"]:
        command.revision(alembic_config(settings.database_url, settings.sqlite), message=argv[1], autogenerate=True)
        return 0
    upgrade(settings.database_url, argv[0] if argv else "head", settings.sqlite)
    print("database: schema up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

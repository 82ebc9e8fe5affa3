"""`python -m assistant.storage.migrate [revision]`: bring the database schema up to date.

Wraps Alembic so the same migrations run from `make run`, the tests and by hand;
`python -m assistant.storage.migrate --autogenerate "message"` drafts a new one.
"""

from __future__ import annotations

import sys
from pathlib import Path

from alembic import command
from alembic.config import Config

from assistant.config import SqliteTuning
from assistant.storage.database import DEFAULT_SQLITE

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str, sqlite: SqliteTuning = DEFAULT_SQLITE) -> Config:
    config = Config()
    config.attributes["sqlite"] = sqlite  # read by migrations/env.py
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head", sqlite: SqliteTuning = DEFAULT_SQLITE) -> None:
    command.upgrade(alembic_config(url, sqlite), revision)


def main(argv: list[str]) -> int:
    from assistant.config import Settings

    settings = Settings.from_env()
    if argv[:1] == ["--autogenerate"]:
        command.revision(alembic_config(settings.database_url, settings.sqlite), message=argv[1], autogenerate=True)
        return 0
    upgrade(settings.database_url, argv[0] if argv else "head", settings.sqlite)
    print("database: schema up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

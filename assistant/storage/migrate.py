"""`python -m assistant.storage.migrate [revision]`: bring the database schema up to date.

Wraps Alembic so the same migrations run from `make run`, the tests and by hand;
`python -m assistant.storage.migrate --autogenerate "message"` drafts a new one.
"""

from __future__ import annotations

import sys
from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def main(argv: list[str]) -> int:
    from assistant.config import Settings

    url = Settings.from_env().database_url
    if argv[:1] == ["--autogenerate"]:
        command.revision(alembic_config(url), message=argv[1], autogenerate=True)
        return 0
    upgrade(url, argv[0] if argv else "head")
    print("database: schema up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

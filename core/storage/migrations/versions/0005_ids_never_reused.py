"""ids never reused on SQLite: conversations, tickets and ticket events get AUTOINCREMENT

Without it SQLite hands out the highest id again once that row is deleted (a patient forgotten): the audit log
would then name two patients under one ticket id, and an inbox page waiting for tickets or alerts after that id
would miss the next one. PostgreSQL's sequences never reuse a value; nothing changes there.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05 05:30:00
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TABLES = ("conversations", "tickets", "ticket_events")


def _rebuild(autoincrement: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in TABLES:
        with op.batch_alter_table(table, recreate="always", table_kwargs={"sqlite_autoincrement": autoincrement}):
            pass


def upgrade() -> None:
    _rebuild(True)


def downgrade() -> None:
    _rebuild(False)

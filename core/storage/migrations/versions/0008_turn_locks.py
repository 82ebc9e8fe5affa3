"""turn locks: one turn at a time per conversation, across gateway workers

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 07:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "turn_locks",
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("sender_key", sa.String(length=128), nullable=False),
        sa.Column("holder", sa.String(length=32), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("channel", "sender_key", name=op.f("pk_turn_locks")),
    )


def downgrade() -> None:
    op.drop_table("turn_locks")

"""ticket priority, set by staff (urgent tickets start high)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05 09:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("tickets", sa.Column("priority", sa.String(length=8), nullable=False, server_default="normal"))
    op.execute("UPDATE tickets SET priority = 'high' WHERE kind = 'urgent'")


def downgrade() -> None:
    with op.batch_alter_table("tickets") as batch_op:
        batch_op.drop_column("priority")

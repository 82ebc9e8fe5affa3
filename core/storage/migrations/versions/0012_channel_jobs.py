"""channel jobs stored before the webhook is answered; ids of replayed outage writes

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 13:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "channel_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("sender_key", sa.String(length=128), nullable=False),
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("message_id", sa.String(length=128), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("holder", sa.String(length=64), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channel_jobs")),
        sqlite_autoincrement=True,
    )
    # The claim's lookups: the jobs not done yet, and one conversation's jobs in order.
    op.create_index("ix_channel_jobs_undone", "channel_jobs", ["id"], unique=False, postgresql_where=sa.text("done_at IS NULL"))
    op.create_index("ix_channel_jobs_conversation", "channel_jobs", ["channel", "sender_key", "id"], unique=False)
    op.create_table(
        "replayed_writes",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_replayed_writes")),
    )
    op.create_index(op.f("ix_replayed_writes_applied_at"), "replayed_writes", ["applied_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_replayed_writes_applied_at"), table_name="replayed_writes")
    op.drop_table("replayed_writes")
    op.drop_index("ix_channel_jobs_conversation", table_name="channel_jobs")
    op.drop_index("ix_channel_jobs_undone", table_name="channel_jobs")
    op.drop_table("channel_jobs")

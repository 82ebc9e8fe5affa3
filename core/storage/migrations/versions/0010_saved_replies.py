"""saved replies: texts the department writes once, per language, for staff to insert in a reply

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 10:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "saved_replies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("shortcut", sa.String(length=40), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["staff_users.id"], name=op.f("fk_saved_replies_updated_by_id_staff_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_replies")),
        sa.UniqueConstraint("language", "shortcut", name=op.f("uq_saved_replies_language")),
    )


def downgrade() -> None:
    op.drop_table("saved_replies")

"""saved views: queue filters a member of staff named and keeps

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 11:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "saved_views",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("query", sa.String(length=600), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["staff_id"], ["staff_users.id"], name=op.f("fk_saved_views_staff_id_staff_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_views")),
        sa.UniqueConstraint("staff_id", "name", name=op.f("uq_saved_views_staff_id")),
    )
    op.create_index(op.f("ix_saved_views_staff_id"), "saved_views", ["staff_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_saved_views_staff_id"), table_name="saved_views")
    op.drop_table("saved_views")

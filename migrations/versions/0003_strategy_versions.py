"""Strategy store: the store version each bot runs, and the default version for new bots.

Adding the two nullable columns is a plain ALTER TABLE on SQLite too (no table copy).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06 22:31:31.723993
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "strategy_defaults",
        sa.Column("strategy", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("commit", sa.Text(), nullable=False),
        sa.Column("updated_by", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.TIMESTAMP(), nullable=False),
        sa.CheckConstraint("version >= 1"),
        sa.PrimaryKeyConstraint("strategy"),
    )
    with op.batch_alter_table("bots", schema=None) as batch_op:
        batch_op.add_column(sa.Column("strategy_commit", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("strategy_version", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("bots", schema=None) as batch_op:
        batch_op.drop_column("strategy_version")
        batch_op.drop_column("strategy_commit")

    op.drop_table("strategy_defaults")

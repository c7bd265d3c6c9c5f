"""The pool's restart count of each bot, so B1 can tell how often a bot was restarted.

Adding the column (NOT NULL with a default) is a plain ALTER TABLE on SQLite too; dropping it
copies the table on SQLite, from the table as it stands rather than a reflected one.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 20:50:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _bots() -> sa.Table:
    """`bots` as this step leaves it, for SQLite's table copy on downgrade.

    Reflection misses ON DELETE on SQLite's inline REFERENCES (what databases adopted from the
    old SQL runner have), so a reflected copy would lose the users → bots cascade.
    """
    return sa.Table(
        "bots",
        sa.MetaData(),
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Text(), nullable=False),
        sa.Column("pool_id", sa.Text(), nullable=True),
        sa.Column("strategy", sa.Text(), nullable=False),
        sa.Column("exchange", sa.Text(), nullable=False),
        sa.Column("stake_currency", sa.Text(), nullable=False),
        sa.Column("stake_amount", sa.Text(), nullable=False),
        sa.Column("max_open_trades", sa.Integer(), nullable=False),
        sa.Column("timeframe", sa.Text(), nullable=False),
        sa.Column("pairs", sa.Text(), nullable=False),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column("wallet_cents", sa.BigInteger(), nullable=False),
        sa.Column("desired_state", sa.Text(), nullable=False),
        sa.Column("observed_state", sa.Text(), server_default="unknown", nullable=False),
        sa.Column("status_message", sa.Text(), server_default="", nullable=False),
        sa.Column("api_url", sa.Text(), nullable=True),
        sa.Column("api_username", sa.Text(), nullable=True),
        sa.Column("api_port", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.TIMESTAMP(), nullable=False),
        sa.Column("updated_at", sa.TIMESTAMP(), nullable=False),
        sa.Column("last_seen", sa.TIMESTAMP(), nullable=True),
        sa.Column("strategy_commit", sa.Text(), nullable=True),
        sa.Column("strategy_version", sa.Integer(), nullable=True),
        sa.Column("restarts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.CheckConstraint("desired_state IN ('provisioning', 'running', 'stopped', 'deleting')"),
        sa.ForeignKeyConstraint(["pool_id"], ["pools.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.Index("bots_pool_id_idx", "pool_id"),
        sa.Index("bots_user_id_idx", "user_id"),
    )


def upgrade() -> None:
    # Not in a batch: alembic's SQLite batch would copy the table for an SQL default.
    op.add_column(
        "bots", sa.Column("restarts", sa.Integer(), server_default=sa.text("0"), nullable=False)
    )


def downgrade() -> None:
    with op.batch_alter_table("bots", copy_from=_bots()) as batch_op:
        batch_op.drop_column("restarts")

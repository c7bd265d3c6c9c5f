"""Drop bots.api_password: each bot's FreqTrade API password is derived from the pool token.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06 22:09:09.430382
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _bots(with_password: bool) -> sa.Table:
    """`bots` as it stands before this step, so SQLite's table copy does not reflect it.

    Reflection misses ON DELETE on SQLite's inline REFERENCES (what databases adopted from the
    old SQL runner have), so a reflected copy would lose the users → bots cascade.
    """
    password = [sa.Column("api_password", sa.Text(), nullable=True)] if with_password else []
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
        *password,
        sa.Column("api_port", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.TIMESTAMP(), nullable=False),
        sa.Column("updated_at", sa.TIMESTAMP(), nullable=False),
        sa.Column("last_seen", sa.TIMESTAMP(), nullable=True),
        sa.CheckConstraint("desired_state IN ('provisioning', 'running', 'stopped', 'deleting')"),
        sa.ForeignKeyConstraint(["pool_id"], ["pools.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.Index("bots_pool_id_idx", "pool_id"),
        sa.Index("bots_user_id_idx", "user_id"),
    )


def upgrade() -> None:
    with op.batch_alter_table("bots", copy_from=_bots(with_password=True)) as batch_op:
        batch_op.drop_column("api_password")


def downgrade() -> None:
    with op.batch_alter_table("bots", copy_from=_bots(with_password=False)) as batch_op:
        batch_op.add_column(sa.Column("api_password", sa.Text(), nullable=True))

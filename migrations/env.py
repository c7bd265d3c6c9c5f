"""Alembic's environment: runs the revisions on the connection `migrate.config` hands over."""

from __future__ import annotations

import re
import warnings
from collections.abc import Collection, Mapping
from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from alembic.runtime.migration import MigrationContext, MigrationInfo
from sqlalchemy import Column, Float
from sqlalchemy.types import TypeEngine

from migrations.schema import UtcDateTime, metadata


def _render_item(kind: str, item: Any, autogen: AutogenContext) -> str | Literal[False]:
    # A revision stays valid as the Python types change: it records the database type only.
    if kind == "type" and isinstance(item, UtcDateTime):
        return "sa.TIMESTAMP()"
    return False


def _compare_type(
    ctx: MigrationContext,
    inspected: Column[Any],
    column: Column[Any],
    inspected_type: TypeEngine[Any],
    column_type: TypeEngine[Any],
) -> bool | None:
    # SQLite has one floating-point type: DOUBLE PRECISION reads back as REAL.
    if ctx.dialect.name == "sqlite":
        if isinstance(inspected_type, Float) and isinstance(column_type, Float):
            return False
    return None  # Alembic compares


def _compare_server_default(
    ctx: MigrationContext,
    inspected: Column[Any],
    column: Column[Any],
    inspected_default: str | None,
    column_default: Any,
    rendered_column_default: str | None,
) -> bool | None:
    # Alembic's own SQLite comparison, but unquoting '' too (its pattern needs a character).
    if ctx.dialect.name == "sqlite" and None not in (inspected_default, rendered_column_default):
        return _bare(str(inspected_default)) != _bare(str(rendered_column_default))
    return None  # Alembic compares


def _bare(default: str) -> str:
    return re.sub(r"^'(.*)'$", r"\1", re.sub(r"^\((.*)\)$", r"\1", default))


def _record(
    ctx: MigrationContext, step: MigrationInfo, heads: Collection[Any], run_args: Mapping[str, Any]
) -> None:
    if step.is_upgrade and not step.is_stamp:
        context.config.attributes.setdefault("applied", []).append(step.up_revision_id)


def run() -> None:
    connection = context.config.attributes.get("connection")
    if context.is_offline_mode() or connection is None:
        raise RuntimeError("run the revisions with `cryptopilot db upgrade` (migrations.migrate)")
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=True,  # SQLite alters a table by copying it
        compare_type=_compare_type,
        compare_server_default=_compare_server_default,
        render_item=_render_item,
        on_version_apply=_record,
    )
    with context.begin_transaction(), warnings.catch_warnings():
        # SQLite's table copy would silently leave out the unnamed CHECK constraints (those of
        # the first revision): fail instead; the revision passes them in `table_args`.
        warnings.filterwarnings("error", "Unnamed CHECK constraint", UserWarning)
        context.run_migrations()


run()

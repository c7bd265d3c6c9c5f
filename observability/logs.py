"""One logging set-up for every process: JSON lines (production) or readable text (a terminal).

The rule is the same for gateway, pool supervisor, bot children and sandbox: each has a
`*LOG_JSON` setting (`CRYPTOPILOT_LOG_JSON`, `CRYPTOPILOT_POOL_LOG_JSON`,
`CRYPTOPILOT_SANDBOX_LOG_JSON`), off by default (text for a developer's terminal) and on in
the production images and unit files.

Every record carries the fields of `CONTEXT_FIELDS` that are known: `service` (gateway |
pool | bot | sandbox | demo) and `pool` are fixed per process by `configure_logging`;
`bot_id`, `user_id`, `request_id` (and `pool` in the gateway) are passed with
`extra={...}` or taken from the context variables below, which the gateway's middleware, the
pool's RPC middleware and the bot supervisor set for the duration of a request or a bot
operation (`log_context`).
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
user_id_var: ContextVar[str | None] = ContextVar("user_id", default=None)
bot_id_var: ContextVar[str | None] = ContextVar("bot_id", default=None)
pool_var: ContextVar[str | None] = ContextVar("pool", default=None)

SERVICES = ("gateway", "pool", "bot", "sandbox", "demo")
# In this order in JSON objects and in the `[...]` suffix of text lines.
CONTEXT_FIELDS = ("service", "pool", "bot_id", "user_id", "request_id")
_CONTEXT_VARS: dict[str, ContextVar[str | None]] = {
    "pool": pool_var,
    "bot_id": bot_id_var,
    "user_id": user_id_var,
    "request_id": request_id_var,
}
TEXT_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


class ContextFilter(logging.Filter):
    """Fills each record's context fields: the call site's `extra`, else the context
    variables, else the process's fixed values (`service`, `pool`, a bot child's ids)."""

    def __init__(self, fixed: Mapping[str, str | None] | None = None) -> None:
        super().__init__()
        unknown = set(fixed or {}) - set(CONTEXT_FIELDS)
        if unknown:
            raise ValueError(f"not a log context field: {', '.join(sorted(unknown))}")
        self.fixed = dict(fixed or {})

    def filter(self, record: logging.LogRecord) -> bool:
        for name in CONTEXT_FIELDS:
            if getattr(record, name, None) is not None:
                continue
            var = _CONTEXT_VARS.get(name)
            value = var.get() if var is not None else None
            setattr(record, name, value if value is not None else self.fixed.get(name))
        return True


@contextmanager
def log_context(**fields: str | None) -> Iterator[None]:
    """Set `pool`, `bot_id`, `user_id` and/or `request_id` for the lines logged inside."""
    unknown = set(fields) - set(_CONTEXT_VARS)
    if unknown:
        raise ValueError(f"not a log context variable: {', '.join(sorted(unknown))}")
    tokens = [(_CONTEXT_VARS[name], _CONTEXT_VARS[name].set(v)) for name, v in fields.items()]
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts (UTC, ISO 8601), level, logger, msg, context, exc."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for name in CONTEXT_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                entry[name] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exc"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str)


class TextFormatter(logging.Formatter):
    """Readable lines: `2026-01-02 10:00:00.123Z INFO    name: message [service=... ]`.

    UTC like the JSON lines, so both formats of one bot's log file read the same way
    (runtime/botlogs.py parses both).
    """

    def __init__(self) -> None:
        super().__init__(
            "%(asctime)s.%(msecs)03dZ %(levelname)-7s %(name)s: %(message)s", TEXT_TIME_FORMAT
        )
        self.converter = time.gmtime

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        context = " ".join(
            f"{name}={getattr(record, name)}"
            for name in CONTEXT_FIELDS
            if getattr(record, name, None) is not None
        )
        if not context:
            return line
        # The context goes on the first line: a traceback's lines follow it.
        first, newline, rest = line.partition("\n")
        return f"{first} [{context}]{newline}{rest}"


def formatter(json_logs: bool) -> logging.Formatter:
    """The formatter of the one rule: JSON lines in production, text otherwise."""
    return JsonFormatter() if json_logs else TextFormatter()


def _install(handler: logging.Handler, level: str | int) -> None:
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper() if isinstance(level, str) else level)


def configure_logging(
    level: str = "INFO",
    json_logs: bool = False,
    *,
    service: str | None = None,
    pool: str | None = None,
    stream: TextIO | None = None,
) -> None:
    """Install the one root handler (stderr); called once at the start of a process."""
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(formatter(json_logs))
    handler.addFilter(ContextFilter({"service": service, "pool": pool}))
    _install(handler, level)


def configure_file_logging(
    path: Path,
    *,
    json_logs: bool,
    max_bytes: int,
    backups: int,
    level: str = "INFO",
    fixed: Mapping[str, str | None] | None = None,
) -> logging.Handler:
    """Install the one root handler as a size-rotated file (`path`, `path.1` ... `path.N`);
    a bot child's FreqTrade log. `fixed` are its context fields (service, pool, ids)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.handlers.RotatingFileHandler(
        path, maxBytes=max_bytes, backupCount=backups, encoding="utf-8"
    )
    handler.setFormatter(formatter(json_logs))
    handler.addFilter(ContextFilter(fixed))
    _install(handler, level)
    return handler

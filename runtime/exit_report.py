"""A bot's last error, written by the bot as it dies and read by its pool to explain the exit.

The bot reserves the file's space when it starts, so the report still fits when the bot dies
*because* its disk is full ("No space left on device", "database or disk is full"): the
text then overwrites space the file already holds instead of asking the disk for more.
"""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path

logger = logging.getLogger(__name__)

MAX_CHARS = 2000
RESERVED_BYTES = 4 * MAX_CHARS  # a UTF-8 character takes at most 4 bytes


def reserve(path: str) -> None:
    """Create the report full of blanks (read back as "no error"); best effort."""
    try:
        Path(path).write_bytes(b" " * RESERVED_BYTES)
    except OSError as exc:
        # Already out of space: the bot will probably fail, and `write` tries anyway.
        logger.warning("cannot reserve the error report %s: %s", path, exc)


def describe(exc: BaseException) -> str:
    """`Type: message`, cut to what the report holds."""
    return f"{type(exc).__name__}: {exc}".strip()[:MAX_CHARS]


def write(path: str, exc: BaseException) -> None:
    """Put `exc` in the report, over the reserved blanks; never raises (the bot is dying)."""
    data = describe(exc).encode("utf-8")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    except OSError:
        logger.exception("cannot write the error report %s", path)
        return
    try:
        os.pwrite(fd, data, 0)
        # Blank the rest rather than truncate: shrinking needs no space, but blanks keep
        # the reservation for a second report in the same run.
        os.pwrite(fd, b" " * max(RESERVED_BYTES - len(data), 0), len(data))
    except OSError:
        logger.exception("cannot write the error report %s", path)
    finally:
        with contextlib.suppress(OSError):
            os.close(fd)


def read(path: Path) -> str | None:
    """The bot's last error, or None when it wrote none."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace").strip()
    except FileNotFoundError:
        return None
    return text or None

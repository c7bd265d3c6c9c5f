"""The last records of a size-rotated log file, read from its end, in either of our formats.

`tail(path, lines, level)` reads `path`, then `path.1`, `path.2` ... (RotatingFileHandler's
backups, newest first) backwards in fixed-size chunks until it holds `lines` records at or
above `level`, so a 40 MB log costs a few chunks, never a whole file in memory. Each record
becomes `{"ts", "level", "logger", "message"}` from a JSON line (`observability.logs.
JsonFormatter`) or a text line (`TextFormatter`, and the older `asctime LEVEL name [...]:`
and FreqTrade's `asctime - name - LEVEL - message` layouts); lines that are neither (a
traceback) continue the record above them.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, TypedDict

Level = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]
LEVELS: tuple[Level, ...] = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_LEVEL_NAMES: dict[str, Level] = {name: name for name in LEVELS}
DEFAULT_LINES = 200
MAX_LINES = 5000
CHUNK_BYTES = 64 * 1024
# One record's message is cut here (a huge traceback or payload must not blow up a reply).
MAX_MESSAGE_CHARS = 16 * 1024
MAX_CONTINUATION_LINES = 400

_LEVEL = "(?P<level>DEBUG|INFO|WARNING|ERROR|CRITICAL)"
_TS = r"(?P<ts>\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?Z?)"
# TextFormatter (`ts LEVEL name: msg [ctx]`) and the bot child's older `[bot_id=...]` layout.
_TEXT = re.compile(_TS + " +" + _LEVEL + r" +(?P<logger>[^\s:]+)(?: \[[^\]]*\])?: (?P<message>.*)$")
# FreqTrade's own LOGFORMAT.
_FREQTRADE = re.compile(_TS + r" - (?P<logger>\S+) - " + _LEVEL + r" - (?P<message>.*)$")
_CONTEXT_SUFFIX = re.compile(r" \[(?:(?:service|pool|bot_id|user_id|request_id)=\S* ?)+\]$")


class LogEntry(TypedDict):
    """One log record as the logs routes return it."""

    ts: str | None
    level: Level
    logger: str | None
    message: str


@dataclass
class Tail:
    """The records found (oldest first) and how many bytes were read to find them."""

    entries: list[LogEntry] = field(default_factory=list)
    bytes_read: int = 0


def parse_lines(value: str | None) -> int:
    """`?lines=` of a logs route (default 200); ValueError says what is wrong."""
    if value is None:
        return DEFAULT_LINES
    if not re.fullmatch(r"[0-9]{1,6}", value) or not 1 <= int(value) <= MAX_LINES:
        raise ValueError(f"lines must be a whole number from 1 to {MAX_LINES}")
    return int(value)


def parse_level(value: str | None) -> Level:
    """`?level=` of a logs route, upper case (default DEBUG: every record)."""
    name = _LEVEL_NAMES.get("DEBUG" if value is None else value.upper())
    if name is None:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}")
    return name


def _iso(ts: str) -> str:
    """`2026-01-02 10:00:00.123Z` -> `2026-01-02T10:00:00.123+00:00`; no zone stays local."""
    text = ts.replace(" ", "T", 1).replace(",", ".")
    return text[:-1] + "+00:00" if text.endswith("Z") else text


def parse_line(line: str) -> LogEntry | None:
    """The record a line starts, or None when the line continues the one before."""
    if line.startswith("{"):
        try:
            data = json.loads(line)
        except ValueError:
            return None
        level = _LEVEL_NAMES.get(str(data.get("level"))) if isinstance(data, dict) else None
        if level is None:
            return None
        message = str(data.get("msg", data.get("message", "")))
        if data.get("exc"):
            message += "\n" + str(data["exc"])
        ts, logger = data.get("ts"), data.get("logger")
        return {
            "ts": None if ts is None else str(ts),
            "level": level,
            "logger": None if logger is None else str(logger),
            "message": message,
        }
    match = _TEXT.match(line) or _FREQTRADE.match(line)
    if match is None:
        return None
    return {
        "ts": _iso(match["ts"]),
        "level": _LEVEL_NAMES[match["level"]],
        "logger": match["logger"],
        "message": _CONTEXT_SUFFIX.sub("", match["message"]),
    }


def rotated_files(path: Path) -> list[Path]:
    """`path` and its existing numbered backups, newest first."""
    backups = []
    for candidate in path.parent.glob(path.name + ".*"):
        suffix = candidate.name[len(path.name) + 1 :]
        if suffix.isdigit():
            backups.append((int(suffix), candidate))
    return [path, *(p for _, p in sorted(backups))]


def _lines_backwards(path: Path, tail: Tail) -> Iterator[str]:
    """The file's lines, last first, read in CHUNK_BYTES steps from its end."""
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        return
    with handle:
        position = handle.seek(0, 2)
        rest = b""
        while position > 0:
            step = min(CHUNK_BYTES, position)
            position -= step
            handle.seek(position)
            chunk = handle.read(step)
            tail.bytes_read += len(chunk)
            parts = (chunk + rest).split(b"\n")
            rest = parts[0]
            for raw in reversed(parts[1:]):
                yield raw.decode("utf-8", "replace").rstrip("\r")
        yield rest.decode("utf-8", "replace").rstrip("\r")


def tail(path: Path, lines: int = DEFAULT_LINES, level: str = "DEBUG") -> Tail:
    """The last `lines` records at or above `level` across `path` and its backups."""
    minimum = logging.getLevelName(level)
    found = Tail()
    newest_first: list[LogEntry] = []
    for file in rotated_files(path):
        # Continuation lines seen so far (last first); a file starts with a record, because
        # the handler rotates between records, so leftovers at a file's top are dropped.
        pending: list[str] = []
        for line in _lines_backwards(file, found):
            entry = parse_line(line)
            if entry is None:
                if line and len(pending) < MAX_CONTINUATION_LINES:
                    pending.append(line)
                continue
            if pending:
                entry["message"] += "\n" + "\n".join(reversed(pending))
                pending = []
            if logging.getLevelName(entry["level"]) < minimum:
                continue
            entry["message"] = entry["message"][:MAX_MESSAGE_CHARS]
            newest_first.append(entry)
            if len(newest_first) >= lines:
                found.entries = newest_first[::-1]
                return found
    found.entries = newest_first[::-1]
    return found

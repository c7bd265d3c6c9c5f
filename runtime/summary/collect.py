"""Supervisor side: the current summaries of a pool's bots, read from their folders.

A summary counts only when it was written by the bot's current process (its `pid`): the
pool deletes the files before each spawn, and a bot that is not running has none. Ages are
reported, not judged: the gateway decides what is too old (its `summary_max_age`).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol

from runtime.states import State
from runtime.summary.files import SummaryPaths, read_json


class Publisher(Protocol):
    """What collecting needs of a bot (a `runtime.status.BotSnapshot` has it)."""

    @property
    def bot_id(self) -> str: ...
    @property
    def state(self) -> State: ...
    @property
    def pid(self) -> int | None: ...
    @property
    def folder(self) -> str: ...


def collect(bots: Iterable[Publisher], *, closed: bool, now: float) -> dict[str, dict[str, Any]]:
    """Each bot's summary (`at`, `age_s`, `pid`, `state`, `status`, `balance`, and with
    `closed` its closed trades as `/trades` answers them), or `{"error": why}`."""
    return {bot.bot_id: _one(bot, closed=closed, now=now) for bot in bots}


def _one(bot: Publisher, *, closed: bool, now: float) -> dict[str, Any]:
    if bot.state is not State.RUNNING or bot.pid is None:
        return {"error": f"Bot is {bot.state.value}"}
    paths = SummaryPaths.in_folder(Path(bot.folder))
    summary = read_json(paths.summary)
    if summary is None or summary.get("pid") != bot.pid:
        return {"error": "Bot has not reported yet"}
    entry = {**summary, "age_s": round(max(now - float(summary["at"]), 0.0), 3)}
    if closed:
        trades = read_json(paths.closed)
        if trades is None or trades.get("pid") != bot.pid:
            return {"error": "Bot has not reported its closed trades yet"}
        entry["closed"] = trades
    return entry

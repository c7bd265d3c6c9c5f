"""Bringing a new strategy (class or store version) to a running bot: reload or restart.

FreqTrade's `POST /api/v1/reload_config` makes the bot's worker drop its FreqtradeBot, read
the config files again and build a new one in the same process: the strategy is resolved
again from the new `strategy_path`, and the file that defines the class is executed afresh,
but every module that file imports stays as Python cached it (`sys.modules`). So a reload
runs exactly what a restart would only when no other file of the tree changed; otherwise the
pool restarts that bot alone (see docs/runtime.md, "Deploying a strategy").
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path

import aiohttp

from runtime.botconfig import classes_in, read_sources

logger = logging.getLogger(__name__)

PROBE_TIMEOUT = aiohttp.ClientTimeout(total=2.0)
POLL_SECONDS = 0.1


def reload_suffices(before: Path, after: Path, strategy: str) -> bool:
    """Whether a bot that loaded its strategy from folder `before` runs the same code after a
    reload as after a restart, once its strategy is `strategy` from folder `after`."""
    if not before.is_dir() or not after.is_dir():
        return False
    return same_after_reload(read_sources(before), read_sources(after), strategy)


def same_after_reload(old: Mapping[str, str], new: Mapping[str, str], strategy: str) -> bool:
    """Whether every file that changed or went away (relative path -> source) is a
    top-level file defining `strategy`: the one file a reload executes again."""
    defining = {
        path for path, source in new.items() if "/" not in path and strategy in classes_in(source)
    }
    changed = {path for path, source in old.items() if new.get(path) != source}
    return bool(defining) and changed <= defining


async def request_reload(
    session: aiohttp.ClientSession, port: int, auth: Mapping[str, str]
) -> bool:
    """Ask the bot to reload its config; False if its API did not accept."""
    try:
        async with session.post(
            f"http://127.0.0.1:{port}/api/v1/reload_config", headers=auth, timeout=PROBE_TIMEOUT
        ) as response:
            return response.status == 200
    except (aiohttp.ClientError, TimeoutError):
        return False


async def runs(
    session: aiohttp.ClientSession,
    port: int,
    auth: Mapping[str, str],
    strategy: str,
    since: float,
) -> bool:
    """Does the bot run `strategy`, started at or after `since` (epoch s), with a loop done?

    `bot_startup` is when the bot's current FreqtradeBot started (a reload builds a new
    one); `last_process` is its last trading loop, unset until its first.
    """
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        async with session.get(f"{base}/show_config", headers=auth, timeout=PROBE_TIMEOUT) as shown:
            config = await shown.json() if shown.status == 200 else None
        async with session.get(f"{base}/health", headers=auth, timeout=PROBE_TIMEOUT) as checked:
            health = await checked.json() if checked.status == 200 else None
    except (aiohttp.ClientError, TimeoutError, ValueError):
        return False
    if not isinstance(config, dict) or not isinstance(health, dict):
        return False
    started, looped = _moment(health.get("bot_startup")), _moment(health.get("last_process"))
    return (
        config.get("strategy") == strategy
        and started is not None
        and looped is not None
        and started >= since
        and looped >= started
    )


def _moment(value: object) -> float | None:
    """Epoch seconds of a FreqTrade health time (`str(datetime)`, UTC when naive)."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


async def wait_until_running(
    session: aiohttp.ClientSession,
    port: int,
    auth: Mapping[str, str],
    strategy: str,
    *,
    since: float,
    within: float,
    alive: Callable[[], bool],
) -> bool:
    """Poll until the bot runs `strategy` (True), or `within` seconds pass or `alive()` turns
    false (False)."""
    deadline = time.monotonic() + within
    while alive():
        if await runs(session, port, auth, strategy, since):
            return True
        if time.monotonic() >= deadline:
            logger.warning("bot on port %d does not run %s after %gs", port, strategy, within)
            return False
        await asyncio.sleep(POLL_SECONDS)
    return False

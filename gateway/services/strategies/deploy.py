"""Deploying store versions to bots through their pools, and rolling a failed deploy back.

A deploy is one PATCH of the bot's spec (`strategy` + `strategy_version`, the whole tree at
that commit) to its pool, which reloads or restarts that bot alone, keeping its trade
database. The bot must then be back: running the new version in its pool and answering on
its FreqTrade API within `deadline` seconds. If it is not, the previous version is sent back
the same way and the answer says so. Which version each bot runs is recorded on `bots`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any

from gateway.errors import ApiError, BadInput, Conflict
from gateway.services.pools.directory import PoolDirectory
from gateway.services.strategies.defaults import StrategyDefaults
from gateway.services.strategies.store import StrategyStore, Version
from gateway.services.trading.botapi import BotApiClient
from gateway.services.trading.botstore import BotRecord, BotStore
from observability.analytics import Analytics

logger = logging.getLogger(__name__)

POLL_S = 0.5


@dataclass(frozen=True)
class Running:
    """What a bot runs: a strategy class and the store version (None: shipped strategies/)."""

    strategy: str
    version: int | None
    commit: str | None


@dataclass(frozen=True)
class Deployed:
    """The outcome of deploying to one bot."""

    bot_id: str
    target: Running
    previous: Running
    running: Running  # what the bot runs now: `target`, or `previous` after a rollback
    applied: str | None  # the pool's "reload" | "restart" (None: stopped bot, next start)
    seconds: float
    rolled_back: bool
    message: str


class StrategyDeployer:
    """Sends store versions to bots' pools and keeps `bots` and `strategy_defaults` in step."""

    def __init__(
        self,
        *,
        store: StrategyStore,
        defaults: StrategyDefaults,
        bots: BotStore,
        pools: PoolDirectory,
        api: BotApiClient,
        deadline: float,
        analytics: Analytics | None = None,
    ) -> None:
        self.analytics = analytics if analytics is not None else Analytics.off()
        self.store = store
        self.defaults = defaults
        self.bots = bots
        self.pools = pools
        self.api = api
        self.deadline = deadline

    async def default_version(self, strategy: str) -> Version:
        """The version new bots of `strategy` get: the pinned one, else the latest."""
        pinned = await self.defaults.get(strategy)
        return await self.store.version(strategy, pinned.version if pinned else None)

    async def payload(self, version: Version) -> dict[str, Any]:
        """The pool RPC's `strategy_version` object: commit, number and the whole tree."""
        return {
            "commit": version.commit,
            "version": version.version,
            "files": await self.store.tree(version.commit),
        }

    async def set_default(self, strategy: str, number: int | None, by: str) -> Version:
        version = await self.store.version(strategy, number)
        await self.defaults.set(strategy, version.version, version.commit, by)
        logger.info("default of %s is now version %s (%s)", strategy, version.version, by)
        return version

    async def deploy_to_strategy(self, strategy: str, number: int | None) -> list[Deployed]:
        """Deploy one version to every bot that runs `strategy`, one bot after the other."""
        version = await self.store.version(strategy, number)
        targets = [
            b
            for b in await self.bots.list_all()
            if b.strategy == strategy and b.pool_id and b.desired_state in ("running", "stopped")
        ]
        return [await self.deploy(bot, version) for bot in targets]

    async def rollback(self, strategy: str, number: int, by: str) -> list[Deployed]:
        """Make version `number` the default again and deploy it to every bot on `strategy`."""
        await self.set_default(strategy, number, by)
        return await self.deploy_to_strategy(strategy, number)

    async def deploy(self, bot: BotRecord, version: Version) -> Deployed:
        """Deploy `version` to one bot; rolled back to what it ran if it does not come back."""
        if bot.pool_id is None or bot.desired_state not in ("running", "stopped"):
            raise BadInput(f"Bot {bot.id} is not placed in a pool yet", "BOT_NOT_DEPLOYABLE")
        previous = Running(bot.strategy, bot.strategy_version, bot.strategy_commit)
        target = Running(version.strategy, version.version, version.commit)
        running = bot.desired_state == "running"
        started = time.monotonic()
        applied, healthy = await self._send(
            bot, target, await self.payload(version), restart=running
        )
        if not running or (healthy is not False and await self._comes_back(bot, target)):
            seconds = time.monotonic() - started
            how = applied or "at its next start"
            logger.info("bot %s runs %s v%s (%s, %.1fs)", bot.id, *_label(target), how, seconds)
            message = f"{bot.id} runs {target.strategy} version {target.version} ({how})"
            return self._deployed(
                bot, Deployed(bot.id, target, previous, target, applied, seconds, False, message)
            )
        logger.warning("bot %s did not come back on %s v%s: rolling back", bot.id, *_label(target))
        applied, _ = await self._send(
            bot, previous, await self._previous_payload(previous), restart=True
        )
        seconds = time.monotonic() - started
        why = "failed to run it" if healthy is False else f"not back within {self.deadline:.0f}s"
        message = (
            f"{bot.id} {why} on {target.strategy} version {target.version}; rolled back to "
            f"{previous.strategy} version {previous.version}"
        )
        return self._deployed(
            bot, Deployed(bot.id, target, previous, previous, applied, seconds, True, message)
        )

    def _deployed(self, bot: BotRecord, outcome: Deployed) -> Deployed:
        """Report the deploy to the bot's owner's analytics (one event per bot and deploy)."""
        self.analytics.capture(
            "strategy_deployed",
            bot.user_id,
            {
                "bot_id": bot.id,
                "pool_id": bot.pool_id,
                "strategy": outcome.target.strategy,
                "strategy_version": outcome.target.version,
                "previous_strategy": outcome.previous.strategy,
                "previous_version": outcome.previous.version,
                "applied": outcome.applied,
                "rolled_back": outcome.rolled_back,
                "seconds": round(outcome.seconds, 3),
            },
        )
        return outcome

    async def _previous_payload(self, previous: Running) -> dict[str, Any] | None:
        if previous.commit is None or previous.version is None:
            return None  # it ran the shipped strategies/ folder
        return await self.payload(Version(previous.strategy, previous.version, previous.commit))

    async def _send(
        self, bot: BotRecord, target: Running, payload: dict[str, Any] | None, *, restart: bool
    ) -> tuple[str | None, bool | None]:
        """PATCH the pool (answered once the bot runs it); how it was applied, and whether
        the pool saw the bot run a loop on it (None: stopped bot, nothing to see)."""
        assert bot.pool_id is not None  # noqa: S101 - checked by deploy
        changes = {"strategy": target.strategy, "strategy_version": payload}
        pool = self.pools.control(bot.pool_id)
        deadline = time.monotonic() + self.deadline
        while True:
            try:
                reply = await pool.update_bot(bot.id, changes, restart=restart)
                break
            except Conflict as exc:
                # The bot is busy (a reload or restart still running): wait for it, a while.
                if exc.code != "BOT_BUSY" or time.monotonic() > deadline:
                    raise
                await asyncio.sleep(POLL_S)
        pool_bot = dict(reply.get("bot") or {})
        await self.bots.record_seen(
            bot.id,
            pool_bot,
            strategy=target.strategy,
            strategy_commit=target.commit,
            strategy_version=target.version,
        )
        applied = reply.get("applied") or pool_bot.get("strategy_applied")
        healthy = reply.get("healthy")
        return (str(applied) if applied else None), (bool(healthy) if healthy is not None else None)

    async def _comes_back(self, bot: BotRecord, target: Running) -> bool:
        """Whether the bot runs `target` in its pool and answers its API before the deadline."""
        assert bot.pool_id is not None  # noqa: S101 - checked by deploy
        pool = self.pools.control(bot.pool_id)
        deadline = time.monotonic() + self.deadline
        while time.monotonic() < deadline:
            try:
                status = await pool.bot_status(bot.id)
                current = await self.bots.record_seen(bot.id, status)
                runs = (status.get("strategy_version") or {}).get("commit") == target.commit
                if status.get("state") == "running" and runs and current and current.endpoint:
                    await self.api.get_json(current.endpoint, "/api/v1/ping", timeout=2.0)
                    return True
                if status.get("state") == "fatal":
                    return False
            except ApiError as exc:
                logger.debug("bot %s not back yet: %s", bot.id, exc)
            await asyncio.sleep(POLL_S)
        return False


def _label(running: Running) -> tuple[str, int | None]:
    return running.strategy, running.version

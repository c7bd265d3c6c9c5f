"""The pool service: its bots, their ports and folders, serialised changes, status.

Knows nothing about HTTP: the RPC commands are thin wrappers around these methods.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import time
from dataclasses import dataclass
from typing import Any

import aiohttp

from runtime.bot import BotHooks, BotProcess
from runtime.botconfig import BotPaths, check_pairs, check_strategy, write_bot_files
from runtime.errors import Conflict, NotFound, Unavailable
from runtime.ports import allocate_port
from runtime.process import Launcher, LaunchSpec, describe_exit
from runtime.readiness import api_answers
from runtime.restart_policy import RestartPolicy
from runtime.rpc.credentials import bot_api_password
from runtime.settings import PoolSettings
from runtime.spec import (
    apply_patch,
    parse_bot_spec,
    split_import_database,
    validate_bot_id,
)
from runtime.states import ALIVE, STARTABLE, State
from runtime.status import describe_bot, pool_health
from runtime.store import ApiCredentials, BotRecord, PoolStore

logger = logging.getLogger(__name__)


@dataclass
class ManagedBot:
    """A bot of this pool: its persisted record, its process, its folder."""

    record: BotRecord
    process: BotProcess
    paths: BotPaths
    busy: str | None = None  # "stopping", "restarting", "removing" while a change waits


class Pool:
    """All bots of one pool. Changes take `_lock`; reads do not."""

    def __init__(self, settings: PoolSettings, launcher: Launcher) -> None:
        self.settings = settings
        self.launcher = launcher
        self.policy = RestartPolicy(
            base_delay=settings.backoff_base,
            max_delay=settings.backoff_max,
            window=settings.crash_window,
            max_crashes=settings.max_crashes,
        )
        self.data_dir = settings.data_dir.resolve()
        self._store = PoolStore(self.data_dir, settings.pool_id)
        self._bots: dict[str, ManagedBot] = {}
        self._lock = asyncio.Lock()
        self._http: aiohttp.ClientSession | None = None
        self._closing = False
        self.started_at = time.time()

    # -- lifetime ---------------------------------------------------------------------------
    async def open(self) -> None:
        """Load pool.json and bring back every bot that should be running."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._http = aiohttp.ClientSession()
        records = self._store.load()
        for bot_id, record in records.items():
            bot = self._manage(record)
            self._bots[bot_id] = bot
            if record.desired == "running":
                bot.process.start()
        logger.info("pool %s open: restored %d bots", self.settings.pool_id, len(records))

    async def close(self) -> None:
        """Stop every bot gracefully (their desired state is kept for the next start)."""
        self._closing = True
        async with self._lock:
            bots = list(self._bots.values())
            for bot in bots:
                bot.process.begin_stop()
        await asyncio.gather(*(b.process.wait_stopped() for b in bots), return_exceptions=True)
        if self._http is not None:
            await self._http.close()
        logger.info("pool %s closed", self.settings.pool_id)

    # -- helpers ----------------------------------------------------------------------------
    def _manage(self, record: BotRecord) -> ManagedBot:
        bot_id = record.spec.bot_id
        paths = BotPaths.of(self.data_dir, bot_id)

        def prepare() -> LaunchSpec:
            # Before every start, so a bot restored from pool.json runs with the derived password.
            password = bot_api_password(self.settings.token, bot_id)
            write_bot_files(record.spec, record.port, record.api, paths, api_password=password)
            return LaunchSpec(
                bot_id=bot_id,
                bot_dir=str(paths.root),
                config_path=str(paths.config),
                exchange_path=str(paths.exchange),
                exchange_url=self.settings.exchange_url,
                pairs=tuple(record.spec.pairs),
                log_path=str(paths.log),
                stdio_path=str(paths.stdio),
                error_path=str(paths.error),
            )

        async def ready() -> bool:
            if self._http is None:
                return False
            return await api_answers(self._http, record.port)

        def explain(code: int) -> str:
            reason = describe_exit(code)
            if paths.error.exists():
                reason += ": " + paths.error.read_text(encoding="utf-8").strip()
            return reason

        process = BotProcess(
            bot_id,
            self.launcher,
            BotHooks(prepare=prepare, ready=ready, explain=explain),
            self.policy,
            start_timeout=self.settings.start_timeout,
            stop_grace=self.settings.stop_grace,
        )
        return ManagedBot(record=record, process=process, paths=paths)

    def _save(self) -> None:
        self._store.save({bot_id: bot.record for bot_id, bot in self._bots.items()})

    def _get(self, bot_id: str) -> ManagedBot:
        validate_bot_id(bot_id)
        bot = self._bots.get(bot_id)
        if bot is None:
            raise NotFound(f"no bot {bot_id} in pool {self.settings.pool_id}")
        return bot

    def _changeable(self, bot_id: str) -> ManagedBot:
        if self._closing:
            raise Unavailable("the pool is shutting down", "POOL_CLOSING")
        bot = self._get(bot_id)
        if bot.busy is not None:
            code = "BOT_STOPPING" if bot.busy in {"stopping", "removing"} else "BOT_BUSY"
            raise Conflict(f"bot {bot_id} is still {bot.busy}", code)
        if bot.process.state is State.STOPPING:
            raise Conflict(f"bot {bot_id} is still stopping", "BOT_STOPPING")
        return bot

    async def _stop_then(self, bot: ManagedBot, busy: str) -> None:
        """Mark busy and stop outside the lock (others may change meanwhile)."""
        bot.busy = busy
        bot.process.begin_stop()
        self._lock.release()
        try:
            await bot.process.wait_stopped()
        finally:
            await self._lock.acquire()
            bot.busy = None

    # -- commands ---------------------------------------------------------------------------
    async def add(self, body: Any) -> dict[str, Any]:
        """Create, persist and start a bot; on any failure nothing is left behind."""
        body, import_database = split_import_database(body)
        spec = parse_bot_spec(body)
        check_strategy(spec.strategy)
        check_pairs(spec.pairs)
        async with self._lock:
            if self._closing:
                raise Unavailable("the pool is shutting down", "POOL_CLOSING")
            if spec.bot_id in self._bots:
                raise Conflict(f"bot {spec.bot_id} already exists", "BOT_EXISTS")
            if len(self._bots) >= self.settings.capacity:
                raise Conflict(
                    f"pool {self.settings.pool_id} is full ({self.settings.capacity} bots)",
                    "POOL_FULL",
                )
            paths = BotPaths.of(self.data_dir, spec.bot_id)
            if paths.root.exists():
                raise Conflict(f"a folder for {spec.bot_id} already exists", "BOT_FOLDER_EXISTS")
            taken = [b.record.port for b in self._bots.values()]
            port = allocate_port(self.settings.api_port_min, self.settings.api_port_max, taken)
            record = BotRecord(spec, port, "running", ApiCredentials.generate(spec.bot_id))
            bot = self._manage(record)
            try:
                if import_database is not None:
                    # An adopted bot continues its trades: a copy, the source stays as it is.
                    paths.root.mkdir(parents=True)
                    await asyncio.to_thread(shutil.copyfile, import_database, paths.database)
                self._bots[spec.bot_id] = bot
                self._save()
                bot.process.start()
            except BaseException:
                self._bots.pop(spec.bot_id, None)
                shutil.rmtree(paths.root, ignore_errors=True)
                self._save()
                raise
            logger.info("added bot %s on port %d", spec.bot_id, port)
            return self.describe(bot)

    async def remove(self, bot_id: str, keep_data: bool = False) -> dict[str, Any]:
        """Stop the bot, forget it, free its port; delete (or archive) its folder."""
        async with self._lock:
            bot = self._changeable(bot_id)
            await self._stop_then(bot, "removing")
            del self._bots[bot_id]
            self._save()
            archived = None
            if keep_data and bot.paths.root.exists():
                target = self.data_dir / "removed" / f"{bot_id}.{int(time.time())}"
                target.parent.mkdir(parents=True, exist_ok=True)
                bot.paths.root.rename(target)
                archived = str(target)
            else:
                shutil.rmtree(bot.paths.root, ignore_errors=True)
            logger.info("removed bot %s (port %d free)", bot_id, bot.record.port)
            return {"bot_id": bot_id, "removed": True, "archived_to": archived}

    async def start(self, bot_id: str) -> dict[str, Any]:
        async with self._lock:
            bot = self._changeable(bot_id)
            if bot.process.state not in STARTABLE:
                raise Conflict(f"bot {bot_id} is {bot.process.state.value}", "BOT_ALREADY_RUNNING")
            bot.record.desired = "running"
            self._save()
            bot.process.start()
            return self.describe(bot)

    async def stop(self, bot_id: str) -> dict[str, Any]:
        async with self._lock:
            bot = self._changeable(bot_id)
            if bot.process.state is State.STOPPED:
                raise Conflict(f"bot {bot_id} is not running", "BOT_NOT_RUNNING")
            bot.record.desired = "stopped"
            self._save()
            await self._stop_then(bot, "stopping")
            return self.describe(bot)

    async def restart(self, bot_id: str) -> dict[str, Any]:
        async with self._lock:
            bot = self._changeable(bot_id)
            if bot.process.state is not State.STOPPED:
                await self._stop_then(bot, "restarting")
            return self._start_after_stop(bot)

    async def update(self, bot_id: str, body: Any, *, restart: bool = True) -> dict[str, Any]:
        """Change wallet/stake/overrides; a live bot restarts to apply them unless `restart`
        is false (the spec then applies at the bot's next start, e.g. after a crash)."""
        async with self._lock:
            bot = self._changeable(bot_id)
            bot.record.spec = apply_patch(bot.record.spec, body)
            self._save()
            live = restart and (bot.process.state in ALIVE or bot.process.state is State.BACKOFF)
            if live:
                await self._stop_then(bot, "restarting")
                self._start_after_stop(bot)
            return {"bot": self.describe(bot), "restarted": live}

    def _start_after_stop(self, bot: ManagedBot) -> dict[str, Any]:
        if bot.record.spec.bot_id not in self._bots:
            raise NotFound(f"bot {bot.record.spec.bot_id} was removed meanwhile")
        if self._closing:
            raise Unavailable("the pool is shutting down", "POOL_CLOSING")
        bot.record.desired = "running"
        self._save()
        bot.process.start()
        return self.describe(bot)

    # -- reads ------------------------------------------------------------------------------
    def describe(self, bot: ManagedBot) -> dict[str, Any]:
        """A bot's status as the RPC reports it."""
        return describe_bot(bot, bot_api_password(self.settings.token, bot.record.spec.bot_id))

    def status(self, bot_id: str) -> dict[str, Any]:
        return self.describe(self._get(bot_id))

    def list_bots(self) -> list[dict[str, Any]]:
        return [self.describe(bot) for _, bot in sorted(self._bots.items())]

    def bots(self) -> list[ManagedBot]:
        return list(self._bots.values())

    def forkserver_pid(self) -> int | None:
        getter = getattr(self.launcher, "server_pid", None)
        return getter() if callable(getter) else None

    def health(self) -> dict[str, Any]:
        """Capacity, free slots, states and memory of the whole pool."""
        return pool_health(
            self.settings,
            list(self._bots.values()),
            accepting=not self._closing,
            forkserver_pid=self.forkserver_pid(),
            started_at=self.started_at,
        )

"""The pool service: its bots, their ports and folders, serialised changes, status.

Knows nothing about HTTP: the RPC commands are thin wrappers around these methods.

Every change to the bots happens under `_lock`, in steps that leave no await inside a
half-done change. A command that must wait for a bot's process to stop (stop, restart,
patch, remove) does it in two steps: under the lock it records the pending `Change` (checked
by `runtime.states`) and sends SIGTERM; it waits without the lock, so other bots' commands go
on while that bot answers 409; then it finishes under the lock again. A strategy deploy that
FreqTrade can reload waits the same way for the reload. Reads take a snapshot under the lock
and read /proc in a worker thread, on that snapshot only.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import aiohttp

from runtime import exit_report
from runtime.bot import BotHooks, BotProcess
from runtime.botconfig import BotPaths, write_bot_files
from runtime.checkouts import CheckoutMissing, Checkouts
from runtime.credentials import bot_api_password
from runtime.deploy import reload_suffices, request_reload, wait_until_running
from runtime.errors import Conflict, NotFound, Unavailable
from runtime.events import NoEvents, PoolEvents
from runtime.exchange import ExchangeSpec, MarketList
from runtime.launch import LaunchSpec
from runtime.liveness.heartbeat import clear_heartbeat, read_heartbeat
from runtime.liveness.watchdog import StallRule, check
from runtime.managed import ManagedBot
from runtime.metrics import PoolMetrics
from runtime.ports import allocate_port
from runtime.process import Launcher, describe_exit
from runtime.readiness import api_answers
from runtime.restart_policy import RestartPolicy
from runtime.settings import PoolSettings
from runtime.spec import (
    STRATEGY_FIELDS,
    BotSpec,
    apply_patch,
    parse_bot_spec,
    split_import_database,
    split_strategy_files,
    validate_bot_id,
)
from runtime.states import ALIVE, CHANGE_CONFLICTS, STARTABLE, Change, State, change
from runtime.status import (
    CpuProbes,
    PoolSnapshot,
    describe_bot,
    describe_bots,
    pool_health,
)
from runtime.store import ApiCredentials, BotRecord, PoolStore
from runtime.summary.files import SummaryPaths

logger = logging.getLogger(__name__)

# A PATCH that deploys nothing says so in these fields of its reply.
NOT_DEPLOYED: dict[str, Any] = {"applied": None, "healthy": None, "apply_s": None}
STARTING_OR_RUNNING = frozenset({State.STARTING, State.RUNNING})
# Beyond its start timeout, how long a deployed bot may take to finish its first loop.
LOOP_GRACE_SECONDS = 30.0


class Pool:
    """All bots of one pool. Changes and snapshots for reads take `_lock`."""

    def __init__(
        self, settings: PoolSettings, launcher: Launcher, events: PoolEvents | None = None
    ) -> None:
        self.settings = settings
        self.launcher = launcher
        self.events: PoolEvents = events if events is not None else NoEvents()
        self.policy = RestartPolicy(
            base_delay=settings.backoff_base,
            max_delay=settings.backoff_max,
            window=settings.crash_window,
            max_crashes=settings.max_crashes,
        )
        self.data_dir = settings.data_dir.resolve()
        self.exchange = ExchangeSpec.of(settings)
        self.markets = MarketList(self.exchange, launcher.list_markets, settings.markets_ttl)
        self._store = PoolStore(self.data_dir, settings.pool_id)
        self.checkouts = Checkouts(self.data_dir / "strategies")
        self._bots: dict[str, ManagedBot] = {}
        self._lock = asyncio.Lock()
        self._cpu = CpuProbes()
        self.metrics = PoolMetrics(settings.pool_id)
        self._http: aiohttp.ClientSession | None = None
        self._closing = False
        self._watchdog: asyncio.Task[None] | None = None
        self.stall_rule = StallRule(
            factor=settings.stall_factor,
            min_seconds=settings.stall_min_seconds,
            grace_seconds=settings.stall_grace_seconds,
        )
        self.started_at = time.time()

    # -- lifetime ---------------------------------------------------------------------------
    async def open(self) -> None:
        """Load pool.json and bring back every bot that should be running."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._http = aiohttp.ClientSession()
        records = self._store.load()
        missing = self.checkouts.restore(
            {
                bot_id: record.spec.strategy_version.commit
                for bot_id, record in records.items()
                if record.spec.strategy_version is not None
            }
        )
        for bot_id, record in records.items():
            bot = self._manage(record)
            self._bots[bot_id] = bot
            if record.desired != "running":
                continue
            if bot_id in missing:
                bot.process.refuse(
                    f"strategy checkout {self.checkouts.folder(record.spec)} is missing: "
                    "deploy its strategy_version (with its files) again"
                )
            else:
                bot.process.start()
        self._watchdog = asyncio.create_task(self._watch(), name="stall-watchdog")
        logger.info("pool %s open: restored %d bots", self.settings.pool_id, len(records))

    async def close(self) -> None:
        """Stop every bot gracefully (their desired state is kept for the next start)."""
        self._closing = True
        if self._watchdog is not None:
            self._watchdog.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watchdog
        async with self._lock:
            bots = list(self._bots.values())
            for bot in bots:
                bot.process.begin_stop()
        await asyncio.gather(*(b.process.wait_stopped() for b in bots), return_exceptions=True)
        if self._http is not None:
            await self._http.close()
        logger.info("pool %s closed", self.settings.pool_id)

    # -- liveness ---------------------------------------------------------------------------
    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(self.settings.stall_check_seconds)
            try:
                self.watch_once(time.time())
            except Exception:  # the watchdog must outlive any one bad reading
                logger.exception("stall watchdog pass failed")

    def watch_once(self, now: float) -> None:
        """One watchdog pass: read each running bot's heartbeat, flag and restart stalls."""
        for bot in list(self._bots.values()):
            process = bot.process
            if process.state is not State.RUNNING or bot.pending is not Change.NONE:
                bot.liveness.stalled_since = None
                continue
            verdict = check(
                bot.liveness,
                read_heartbeat(bot.paths.heartbeat),
                pid=process.pid,
                uptime_s=process.uptime() or 0.0,
                now=now,
                rule=self.stall_rule,
            )
            owner, bot_id = bot.record.spec.owner, bot.record.spec.bot_id
            if verdict.action == "stalled":
                logger.warning(
                    "bot %s stalled: no loop pass for %.0fs (throttle %gs); restart in %gs",
                    bot_id,
                    verdict.age_s,
                    verdict.throttle_s,
                    self.stall_rule.grace_seconds,
                    extra={"bot_id": bot_id, "user_id": owner},
                )
                self.events.emit(
                    "bot_stalled",
                    owner,
                    {"bot_id": bot_id, "pool": self.settings.pool_id, "stalled_s": verdict.age_s},
                )
            elif verdict.action == "recovered":
                logger.info("bot %s loop passes again", bot_id, extra={"bot_id": bot_id})
            elif verdict.action == "restart" and verdict.reason is not None:
                process.abort(verdict.reason)

    # -- helpers ----------------------------------------------------------------------------
    def _manage(self, record: BotRecord) -> ManagedBot:
        bot_id = record.spec.bot_id
        paths = BotPaths.of(self.data_dir, bot_id)

        password = bot_api_password(self.settings.token.get_secret_value(), bot_id)

        def write_config() -> None:
            folder = self.checkouts.folder(record.spec)
            if not folder.is_dir():
                raise CheckoutMissing(f"strategy checkout {folder} is missing")
            write_bot_files(
                record.spec,
                record.port,
                record.api,
                paths,
                api_password=password,
                strategy_path=folder,
            )

        def prepare() -> LaunchSpec:
            # Before every start, so a bot restored from pool.json runs with the derived password.
            write_config()
            clear_heartbeat(paths.heartbeat)
            SummaryPaths.in_folder(paths.root).clear()
            bot.liveness.reset()
            bot.loaded = record.spec
            return LaunchSpec(
                bot_id=bot_id,
                bot_dir=str(paths.root),
                config_path=str(paths.config),
                exchange_path=str(paths.exchange),
                exchange=self.exchange,
                pairs=tuple(record.spec.pairs),
                log_path=str(paths.log),
                stdio_path=str(paths.stdio),
                error_path=str(paths.error),
                heartbeat_path=str(paths.heartbeat),
                pool_id=self.settings.pool_id,
                owner=record.spec.owner,
                log_json=self.settings.log_json,
                log_max_bytes=self.settings.bot_log_max_bytes,
                log_backups=self.settings.bot_log_backups,
                nice_after_start=self.settings.bot_nice,
            )

        async def ready() -> bool:
            if self._http is None:
                return False
            return await api_answers(self._http, record.port)

        def explain(code: int) -> str:
            reason = describe_exit(code)
            error = exit_report.read(paths.error)
            return reason if error is None else f"{reason}: {error}"

        def exited(reason: str) -> None:
            self.events.emit(
                "bot_crashed",
                record.spec.owner,
                {
                    "bot_id": bot_id,
                    "pool": self.settings.pool_id,
                    "exit": reason[:200],
                    "restarts": bot.process.restarts,
                    "stalled": reason.startswith("stalled:"),
                },
            )

        process = BotProcess(
            bot_id,
            self.launcher,
            BotHooks(
                prepare=prepare,
                ready=ready,
                explain=explain,
                exited=exited,
                changed=lambda: self.metrics.changed(bot_id, process.state),
            ),
            self.policy,
            start_timeout=self.settings.start_timeout,
            stop_grace=self.settings.stop_grace,
            owner=record.spec.owner,
        )
        bot = ManagedBot(
            record=record,
            process=process,
            paths=paths,
            api_password=password,
            write_config=write_config,
        )
        return bot

    def _save(self) -> None:
        self._store.save({bot_id: bot.record for bot_id, bot in self._bots.items()})

    def _get(self, bot_id: str) -> ManagedBot:
        validate_bot_id(bot_id)
        bot = self._bots.get(bot_id)
        if bot is None:
            raise NotFound(f"no bot {bot_id} in pool {self.settings.pool_id}")
        return bot

    def _session(self) -> aiohttp.ClientSession:
        if self._http is None:
            raise Unavailable("the pool is not open", "POOL_CLOSING")
        return self._http

    async def _reloads(self, bot: ManagedBot, new: BotSpec) -> bool:
        """Would FreqTrade's reload run `new` exactly as a restart would (runtime.deploy)?"""
        if bot.loaded is None:
            return False
        before, after = self.checkouts.folder(bot.loaded), self.checkouts.folder(new)
        return await asyncio.to_thread(reload_suffices, before, after, new.strategy)

    async def _runs(self, bot: ManagedBot, since: float, alive: Callable[[], bool]) -> bool:
        """Wait until the bot runs its spec's strategy, with a loop done since `since`."""
        return await wait_until_running(
            self._session(),
            bot.record.port,
            bot.auth,
            bot.record.spec.strategy,
            since=since,
            within=self.settings.start_timeout + LOOP_GRACE_SECONDS,
            alive=alive,
        )

    def _changeable(self, bot_id: str) -> ManagedBot:
        if self._closing:
            raise Unavailable("the pool is shutting down", "POOL_CLOSING")
        bot = self._get(bot_id)
        if bot.pending is not Change.NONE:
            raise Conflict(
                f"bot {bot_id} is still {bot.pending.value}", CHANGE_CONFLICTS[bot.pending]
            )
        if bot.process.state is State.STOPPING:
            raise Conflict(f"bot {bot_id} is still stopping", "BOT_STOPPING")
        return bot

    @staticmethod
    def _begin_stop(bot: ManagedBot, pending: Change) -> None:
        """First step of a stopping command (under the lock): record it, send SIGTERM."""
        bot.pending = change(bot.pending, pending)
        bot.process.begin_stop()

    @contextlib.asynccontextmanager
    async def _once_stopped(self, bot: ManagedBot) -> AsyncIterator[None]:
        """Wait without the lock for the bot's process to stop; then hold the lock while the
        command finishes. The bot's pending change ends either way."""
        try:
            await bot.process.wait_stopped()
        except BaseException:
            async with self._lock:
                bot.pending = change(bot.pending, Change.NONE)
            raise
        async with self._lock:
            bot.pending = change(bot.pending, Change.NONE)
            yield

    # -- commands ---------------------------------------------------------------------------
    async def add(self, body: Any) -> dict[str, Any]:
        """Create, persist and start a bot; on any failure nothing is left behind."""
        received = self.metrics.now()
        body, import_database = split_import_database(body)
        body, files = split_strategy_files(body)
        spec = parse_bot_spec(body)
        await self.checkouts.check(spec, files)
        await self.markets.check(spec.pairs)
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
                await self.checkouts.enter(spec, files, spec.bot_id)
                if import_database is not None:
                    # An adopted bot continues its trades: a copy, the source stays as it is.
                    paths.root.mkdir(parents=True)
                    await asyncio.to_thread(shutil.copyfile, import_database, paths.database)
                self._bots[spec.bot_id] = bot
                self._save()
                bot.process.start()
                self.metrics.adding(spec.bot_id, received)
            except BaseException:
                self._bots.pop(spec.bot_id, None)
                shutil.rmtree(paths.root, ignore_errors=True)
                self.checkouts.leave(spec, None, spec.bot_id)
                self._save()
                raise
            logger.info("added bot %s on port %d", spec.bot_id, port)
            return self.describe(bot)

    async def remove(self, bot_id: str, keep_data: bool = False) -> dict[str, Any]:
        """Stop the bot, forget it, free its port; delete (or archive) its folder."""
        async with self._lock:
            bot = self._changeable(bot_id)
            self._begin_stop(bot, Change.REMOVING)
        async with self._once_stopped(bot):
            del self._bots[bot_id]
            self._save()
            self.checkouts.leave(bot.record.spec, None, bot_id)
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
            self._begin_stop(bot, Change.STOPPING)
        async with self._once_stopped(bot):
            return self.describe(bot)

    async def restart(self, bot_id: str) -> dict[str, Any]:
        async with self._lock:
            bot = self._changeable(bot_id)
            if bot.process.state is State.STOPPED:
                return self._start_stopped(bot)
            self._begin_stop(bot, Change.RESTARTING)
        async with self._once_stopped(bot):
            return self._start_stopped(bot)

    async def update(self, bot_id: str, body: Any, *, restart: bool = True) -> dict[str, Any]:
        """Change wallet/stake/overrides or deploy a strategy (class and/or store version).

        A live bot applies the change at once: a strategy-only change that FreqTrade's reload
        fully picks up is reloaded in the running process, anything else restarts the bot; a
        deploy then waits until the bot runs the new strategy (`healthy`). With `restart`
        false the spec only applies at the bot's next start (e.g. after a crash).
        """
        body, files = split_strategy_files(body)
        async with self._lock:
            bot = self._changeable(bot_id)
            old = bot.record.spec
            new = apply_patch(old, body)
            # Files sent again for the same version deploy too (a checkout lost on restore).
            deploy = files is not None or (new.strategy, new.strategy_version) != (
                old.strategy,
                old.strategy_version,
            )
            if deploy:
                await self.checkouts.check(new, files)
                await self.checkouts.enter(new, files, bot_id)
                bot.record.strategy_applied = bot.record.strategy_applied_at = None
            bot.record.spec = new
            self._save()
            state = bot.process.state
            if not (restart and (state in ALIVE or state is State.BACKOFF)):
                if deploy:
                    self.checkouts.leave(old, new, bot_id)
                return {"bot": self.describe(bot), "restarted": False, **NOT_DEPLOYED}
            reload = (
                deploy
                and set(body) <= STRATEGY_FIELDS
                and state is State.RUNNING
                and await self._reloads(bot, new)
            )
            if reload:
                bot.pending = change(bot.pending, Change.RELOADING)
                bot.write_config()
            else:
                self._begin_stop(bot, Change.RESTARTING)
        since, clock = time.time(), time.monotonic()
        if reload:
            return await self._reload(bot, old, since, clock)
        async with self._once_stopped(bot):
            if deploy:
                self.checkouts.leave(old, new, bot_id)
            started = self._start_stopped(bot)
        if not deploy:
            return {"bot": started, "restarted": True, **NOT_DEPLOYED}
        healthy = await self._runs(bot, since, lambda: bot.process.state in STARTING_OR_RUNNING)
        return await self._applied(bot, "restart", healthy, clock)

    async def _reload(
        self, bot: ManagedBot, old: BotSpec, since: float, clock: float
    ) -> dict[str, Any]:
        """Have the running bot reload its (rewritten) config; wait until it runs the new one."""
        healthy = False
        try:
            if await request_reload(self._session(), bot.record.port, bot.auth):
                bot.loaded = bot.record.spec
                healthy = await self._runs(bot, since, lambda: bot.process.state is State.RUNNING)
        finally:
            async with self._lock:
                bot.pending = change(bot.pending, Change.NONE)
                self.checkouts.leave(old, bot.record.spec, bot.record.spec.bot_id)
        return await self._applied(bot, "reload", healthy, clock)

    async def _applied(
        self, bot: ManagedBot, how: str, healthy: bool, clock: float
    ) -> dict[str, Any]:
        """Record how (and when) a deploy reached the bot; the PATCH reply."""
        async with self._lock:
            bot.record.strategy_applied = how
            bot.record.strategy_applied_at = datetime.now(UTC).isoformat(timespec="seconds")
            if self._bots.get(bot.record.spec.bot_id) is bot:
                self._save()
            logger.info(
                "bot %s: strategy %s applied by %s (%s)",
                bot.record.spec.bot_id,
                bot.record.spec.strategy,
                how,
                "healthy" if healthy else "NOT healthy",
            )
            return {
                "bot": self.describe(bot),
                "restarted": how == "restart",
                "applied": how,
                "healthy": healthy,
                "apply_s": round(time.monotonic() - clock, 3),
            }

    def _start_stopped(self, bot: ManagedBot) -> dict[str, Any]:
        """Start a bot a restart stopped (under the lock), unless the pool is closing."""
        if self._closing:
            raise Unavailable("the pool is shutting down", "POOL_CLOSING")
        bot.record.desired = "running"
        self._save()
        bot.process.start()
        return self.describe(bot)

    # -- reads ------------------------------------------------------------------------------
    def describe(self, bot: ManagedBot) -> dict[str, Any]:
        """A bot's status as the RPC reports it (the commands' replies, under the lock)."""
        return describe_bot(bot.snapshot(), self.settings)

    async def snapshot(self) -> PoolSnapshot:
        """The whole pool between two steps of the commands (taken under the lock, no I/O)."""
        async with self._lock:
            return PoolSnapshot(
                pool_id=self.settings.pool_id,
                capacity=self.settings.capacity,
                accepting=not self._closing,
                forkserver_pid=self.forkserver_pid(),
                started_at=self.started_at,
                bots=tuple(bot.snapshot() for _, bot in sorted(self._bots.items())),
            )

    async def status(self, bot_id: str) -> dict[str, Any]:
        """One bot's status; its memory is read in a worker thread."""
        async with self._lock:
            bot = self._get(bot_id).snapshot()
        return await asyncio.to_thread(describe_bot, bot, self.settings)

    async def list_bots(self) -> list[dict[str, Any]]:
        """Every bot's status, sorted by id; their memory is read in a worker thread."""
        pool = await self.snapshot()
        return await asyncio.to_thread(describe_bots, pool.bots, self.settings)

    def bots(self) -> list[ManagedBot]:
        return list(self._bots.values())

    def managed(self, bot_id: str) -> ManagedBot:
        """One bot (its paths, record); 404 BOT_NOT_FOUND, 422 INVALID_BOT_ID."""
        return self._get(bot_id)

    def owner_of(self, bot_id: str) -> str | None:
        """The owner of a bot of this pool, or None (for log lines: never raises)."""
        bot = self._bots.get(bot_id)
        return None if bot is None else bot.record.spec.owner

    def forkserver_pid(self) -> int | None:
        getter = getattr(self.launcher, "server_pid", None)
        return getter() if callable(getter) else None

    async def health(self) -> dict[str, Any]:
        """Capacity, free slots, states, memory and CPU of the whole pool (read in a thread)."""
        return await asyncio.to_thread(pool_health, await self.snapshot(), self._cpu)

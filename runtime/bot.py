"""One bot's lifecycle: spawn, watch, restart with backoff, stop gracefully.

Drives the state machine in `runtime.states` through the OS seam in `runtime.process`, so
it runs unchanged against real processes and against the unit tests' fake.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass

from observability.logs import log_context
from runtime.errors import Conflict
from runtime.launch import LaunchSpec
from runtime.process import ChildProcess, Launcher
from runtime.restart_policy import GiveUp, RestartPolicy
from runtime.states import ALIVE, STARTABLE, State, transition

logger = logging.getLogger(__name__)

READY_POLL_SECONDS = 0.05


@dataclass(frozen=True)
class BotHooks:
    """What a bot needs from its pool: prepare a launch, probe readiness, explain exits."""

    prepare: Callable[[], LaunchSpec]  # write config, clear old error; called before each spawn
    ready: Callable[[], Awaitable[bool]]  # does the bot's REST API answer?
    explain: Callable[[int], str]  # exit code -> reason (with the bot's own last error)
    changed: Callable[[], None] = lambda: None  # state changed (metrics, logs)
    exited: Callable[[str], None] = lambda reason: None  # ended without being asked to


class BotProcess:
    """The supervised process of one bot; every state change goes through `_set`."""

    def __init__(
        self,
        bot_id: str,
        launcher: Launcher,
        hooks: BotHooks,
        policy: RestartPolicy,
        start_timeout: float,
        stop_grace: float,
        clock: Callable[[], float] = time.monotonic,
        owner: str | None = None,
    ) -> None:
        self.bot_id = bot_id
        self.owner = owner
        self.state = State.STOPPED
        self.pid: int | None = None
        self.restarts = 0
        self.last_exit: str | None = None
        # The last exit nobody asked for (a crash, a kill, a stall): kept across later stops.
        self.crash_code: int | None = None
        self.crash_reason: str | None = None
        self.fatal_reason: str | None = None
        self.spawned_at: float | None = None
        self.backoff_until: float | None = None
        self._launcher = launcher
        self._hooks = hooks
        self._policy = policy
        self._start_timeout = start_timeout
        self._stop_grace = stop_grace
        self._clock = clock
        self._crashes: deque[float] = deque(maxlen=max(policy.max_crashes * 2, 8))
        self._child: ChildProcess | None = None
        self._spawn_error: str | None = None
        self._task: asyncio.Task[None] | None = None
        self._abort_reason: str | None = None

    # -- state ------------------------------------------------------------------------------
    def _context(self) -> AbstractContextManager[None]:
        """Log lines about this bot carry its id and its owner as `user_id`."""
        return log_context(bot_id=self.bot_id, user_id=self.owner)

    def _set(self, target: State) -> None:
        previous = self.state
        self.state = transition(previous, target)
        with self._context():
            logger.info("bot %s: %s -> %s", self.bot_id, previous.value, target.value)
        self._hooks.changed()

    def uptime(self) -> float | None:
        """Seconds since the current process was spawned, if one is alive."""
        if self.state in ALIVE and self.spawned_at is not None:
            return max(self._clock() - self.spawned_at, 0.0)
        return None

    # -- start ------------------------------------------------------------------------------
    def start(self) -> None:
        """Spawn the bot now and supervise it; only from stopped, exited or fatal."""
        if self.state not in STARTABLE:
            raise Conflict(f"bot {self.bot_id} is {self.state.value}", _conflict_code(self.state))
        if self.state is State.FATAL:
            self._crashes.clear()
            self.fatal_reason = None
        self._spawn()
        # A fresh context: the supervision outlives the request that started it, so its
        # lines must not carry that request's id (it sets the bot's own fields).
        self._task = asyncio.create_task(
            self._supervise(), name=f"bot-{self.bot_id}", context=contextvars.Context()
        )

    def refuse(self, reason: str) -> None:
        """Go fatal without spawning: a stopped bot that cannot start (its strategy checkout
        is missing); a later `start` tries again."""
        self.fatal_reason = self.last_exit = reason
        with self._context():
            logger.error("bot %s is fatal: %s", self.bot_id, reason)
        self._set(State.FATAL)

    def _spawn(self) -> None:
        self._set(State.STARTING)
        self.spawned_at = self._clock()
        self.backoff_until = None
        self._abort_reason = None
        try:
            child = self._launcher.spawn(self._hooks.prepare())
        except Exception as exc:
            with self._context():
                logger.exception("bot %s: spawn failed", self.bot_id)
            self._child, self.pid = None, None
            self._spawn_error = f"spawn failed: {exc}"
            return
        self._child, self.pid, self._spawn_error = child, child.pid, None

    async def _supervise(self) -> None:
        """Watch the current process; after a crash apply the restart policy; loop."""
        with self._context():
            while True:
                if self._child is None:
                    code, reason = None, self._spawn_error or "spawn failed"
                else:
                    code = await self._run_once(self._child)
                    reason = self._abort_reason or self._timeout_reason or self._hooks.explain(code)
                self._child, self.pid = None, None
                if self.state is State.STOPPING:
                    self.last_exit = f"stopped ({reason})"
                    self._set(State.STOPPED)
                    return
                self.last_exit = reason
                if code is not None:
                    self.crash_code, self.crash_reason = code, reason
                self._set(State.EXITED)
                self._hooks.exited(reason)
                now = self._clock()
                self._crashes.append(now)
                decision = self._policy.decide(list(self._crashes), now, reason)
                if isinstance(decision, GiveUp):
                    self.fatal_reason = decision.reason
                    logger.error("bot %s is fatal: %s", self.bot_id, decision.reason)
                    self._set(State.FATAL)
                    return
                logger.warning(
                    "bot %s exited (%s, code %s); restarting in %.2fs",
                    self.bot_id,
                    reason,
                    code,
                    decision.delay,
                )
                self.backoff_until = now + decision.delay
                self._set(State.BACKOFF)
                await asyncio.sleep(decision.delay)
                self.restarts += 1
                self._spawn()

    _timeout_reason: str | None = None

    async def _run_once(self, child: ChildProcess) -> int:
        """Wait for readiness (or give up after start_timeout), then for the exit."""
        self._timeout_reason = None
        exit_task = asyncio.ensure_future(child.wait())
        if await self._wait_ready(exit_task) and self.state is State.STARTING:
            self._set(State.RUNNING)
        elif not exit_task.done() and self.state is State.STARTING:
            self._timeout_reason = f"API did not answer within {self._start_timeout:g}s"
            logger.error("bot %s: %s; killing it", self.bot_id, self._timeout_reason)
            child.kill()
        return await exit_task

    async def _wait_ready(self, exit_task: asyncio.Future[int]) -> bool:
        deadline = self._clock() + self._start_timeout
        while not exit_task.done() and self.state is State.STARTING:
            if await self._hooks.ready():
                return True
            remaining = deadline - self._clock()
            if remaining <= 0:
                return False
            await asyncio.wait([exit_task], timeout=min(READY_POLL_SECONDS, remaining))
        return False

    def abort(self, reason: str) -> bool:
        """End a running process that is not doing its job (stalled): SIGTERM now, SIGKILL
        after the stop grace; its exit carries `reason` and counts as a crash. False when
        there is no running process to end."""
        child = self._child
        if self.state is not State.RUNNING or child is None:
            return False
        self._abort_reason = reason
        logger.error("bot %s: %s; restarting it", self.bot_id, reason)
        child.terminate()

        def kill_if_still_there() -> None:
            if self._child is child:
                logger.warning(
                    "bot %s ignored SIGTERM for %gs; SIGKILL", self.bot_id, self._stop_grace
                )
                child.kill()

        asyncio.get_running_loop().call_later(self._stop_grace, kill_if_still_there)
        return True

    # -- stop -------------------------------------------------------------------------------
    def begin_stop(self) -> None:
        """Start stopping (SIGTERM, or cancel a pending restart); returns at once."""
        if self.state is State.STOPPING:
            return
        if self.state in ALIVE:
            self._set(State.STOPPING)
            if self._child is not None:
                self._child.terminate()
            return
        if self.state is State.BACKOFF and self._task is not None:
            self._task.cancel()
        if self.state is not State.STOPPED:
            self._set(State.STOPPED)

    async def wait_stopped(self) -> None:
        """Wait until the process is gone: `stop_grace` after SIGTERM, then SIGKILL."""
        task = self._task
        if task is None or task.done():
            with contextlib.suppress(asyncio.CancelledError):
                if task is not None:
                    await task
            return
        try:
            await asyncio.wait_for(asyncio.shield(task), self._stop_grace)
        except TimeoutError:
            with self._context():
                logger.warning(
                    "bot %s ignored SIGTERM for %gs; SIGKILL", self.bot_id, self._stop_grace
                )
            if self._child is not None:
                self._child.kill()
            await task
        except asyncio.CancelledError:
            if not task.cancelled():
                raise

    async def stop(self) -> None:
        """Stop gracefully and wait for it."""
        self.begin_stop()
        await self.wait_stopped()


def _conflict_code(state: State) -> str:
    if state is State.STOPPING:
        return "BOT_STOPPING"
    return "BOT_ALREADY_RUNNING"

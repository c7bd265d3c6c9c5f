"""The OS seam: spawn a bot process, signal it, learn when it exits.

`Launcher`/`ChildProcess` are what the state machine talks to; `ForkserverLauncher` is the
real thing (a multiprocessing forkserver preloaded with `runtime.warm`, so the supervisor
itself never imports FreqTrade and never forks from its event loop); unit tests use a fake.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import signal
import time
from multiprocessing.context import ForkServerContext
from multiprocessing.process import BaseProcess
from typing import Protocol

from runtime import child, exchange
from runtime.errors import Unavailable
from runtime.exchange import ExchangeSpec
from runtime.ksm import environ_for as ksm_environ
from runtime.launch import LaunchSpec
from runtime.markets.shared import environ_for

logger = logging.getLogger(__name__)

WARM_MODULE = "runtime.warm"


class ChildProcess(Protocol):
    """One spawned bot process."""

    @property
    def pid(self) -> int:
        """The OS process id."""

    async def wait(self) -> int:
        """Wait for the exit; return its code (negative: killed by that signal)."""

    def terminate(self) -> None:
        """Ask the process to stop (SIGTERM)."""

    def kill(self) -> None:
        """Stop the process now (SIGKILL)."""


class Launcher(Protocol):
    """Starts bot processes."""

    def spawn(self, launch: LaunchSpec) -> ChildProcess:
        """Start one bot process; returns at once."""

    def list_markets(self, exchange: ExchangeSpec) -> list[str]:
        """The pairs the exchange lists; blocking (run it in a thread); 503 if unreadable."""


class WarmupError(RuntimeError):
    """The forkserver could not preload FreqTrade (its ImportError would be swallowed)."""


def describe_exit(code: int) -> str:
    """Human-readable exit status: 'exit code 2' or 'killed by SIGKILL'."""
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


def _signal_group(pid: int, sig: signal.Signals) -> None:
    """Signal the bot's process group (it is a session leader), else just the process."""
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        # Not yet a group leader (signalled between fork and setsid) or already gone.
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


class ForkserverChild:
    """A bot process forked by the warm forkserver; exits are read from its sentinel."""

    def __init__(self, process: BaseProcess) -> None:
        self._process = process
        self._pid = int(process.pid or 0)
        self._exit: asyncio.Future[int] | None = None

    @property
    def pid(self) -> int:
        return self._pid

    def _returncode(self) -> int | None:
        return self._process.exitcode

    async def wait(self) -> int:
        code = self._returncode()
        if code is not None:
            return code
        if self._exit is None:
            loop = asyncio.get_running_loop()
            future: asyncio.Future[int] = loop.create_future()
            fd = self._process.sentinel

            def on_exit() -> None:
                loop.remove_reader(fd)
                # The forkserver writes the status to the sentinel as the child exits.
                status = self._process.exitcode
                self._process.close()
                if not future.done():
                    future.set_result(255 if status is None else status)

            loop.add_reader(fd, on_exit)
            self._exit = future
        return await asyncio.shield(self._exit)

    def _alive(self) -> bool:
        return self._exit is None or not self._exit.done()

    def terminate(self) -> None:
        if self._alive():
            _signal_group(self._pid, signal.SIGTERM)

    def kill(self) -> None:
        if self._alive():
            _signal_group(self._pid, signal.SIGKILL)


class ForkserverLauncher:
    """Spawns bots from a forkserver that imported FreqTrade once (`runtime.warm`).

    With `exchange`, the forkserver also loads that exchange's markets once for every bot to
    share (runtime/markets/); with `ksm`, it makes its memory and the bots' mergeable
    (runtime/ksm.py). The preload takes no arguments, so both are named in this
    process's environment, which multiprocessing starts the forkserver with. One pool per
    supervisor process, so one exchange; a forkserver already running keeps what it loaded.
    """

    def __init__(
        self,
        exchange: ExchangeSpec | None = None,
        preload: str = WARM_MODULE,
        markets_timeout: float = 5.0,
        ksm: bool = False,
    ) -> None:
        self._ctx: ForkServerContext = multiprocessing.get_context("forkserver")
        self._ctx.set_forkserver_preload([preload])
        if exchange is not None:
            os.environ.update(environ_for(exchange, markets_timeout))
        os.environ.update(ksm_environ(ksm))
        self.warm_seconds: float | None = None
        self.warm_report: dict[str, object] = {}

    def warm_up(self, timeout: float = 180.0) -> float:
        """Start the forkserver and prove its preload worked; blocking (use a thread).

        multiprocessing's forkserver ignores an ImportError in a preloaded module, which
        would silently make every bot import FreqTrade on its own. A probe child checks.
        """
        started = time.monotonic()
        receive, send = self._ctx.Pipe(duplex=False)
        probe = self._ctx.Process(
            target=child.probe_warm, args=(send,), name="warm-probe", daemon=True
        )
        probe.start()
        send.close()
        with receive:
            probe.join(timeout)
            if probe.exitcode is None:
                probe.kill()
                probe.join()
                raise WarmupError(f"warm-up probe did not finish within {timeout:g}s")
            if probe.exitcode != 0:
                raise WarmupError(
                    f"forkserver preload of {WARM_MODULE} failed"
                    f" ({describe_exit(probe.exitcode)}); see the traceback above"
                )
            self.warm_report = receive.recv() if receive.poll(0) else {}
        self.warm_seconds = time.monotonic() - started
        logger.info(
            "forkserver warm in %.2fs (pid %s), shared markets: %s",
            self.warm_seconds,
            self.server_pid(),
            self.warm_report or "none",
        )
        return self.warm_seconds

    def server_pid(self) -> int | None:
        """The forkserver's pid (the warm parent of every bot), once started."""
        from multiprocessing import forkserver

        pid = getattr(forkserver._forkserver, "_forkserver_pid", None)
        return int(pid) if pid else None

    def spawn(self, launch: LaunchSpec) -> ForkserverChild:
        process = self._ctx.Process(
            target=child.run_bot, args=(launch,), name=f"bot-{launch.bot_id}", daemon=True
        )
        process.start()
        return ForkserverChild(process)

    def list_markets(self, spec: ExchangeSpec, timeout: float = 30.0) -> list[str]:
        """Read the market list in a child forked warm (ccxt stays out of the supervisor)."""
        receive, send = self._ctx.Pipe(duplex=False)
        process = self._ctx.Process(
            target=exchange.read_markets, args=(spec, send), name="markets", daemon=True
        )
        process.start()
        send.close()
        try:
            answer = receive.recv() if receive.poll(timeout) else f"no answer in {timeout:g}s"
        except EOFError:
            answer = "the market reader exited without an answer"
        finally:
            receive.close()
            process.join(5)
            if process.exitcode is None:
                process.kill()
                process.join()
        if isinstance(answer, str):
            where = f" at {spec.base_url}" if spec.base_url else ""
            raise Unavailable(
                f"cannot read the markets of {spec.name}{where}: {answer}", "EXCHANGE_UNAVAILABLE"
            )
        return list(answer)

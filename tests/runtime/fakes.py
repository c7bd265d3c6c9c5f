"""A fake OS seam: children that exit when the test says so, no processes."""

from __future__ import annotations

import asyncio
import itertools
import signal

from runtime.exchange import ExchangeSpec
from runtime.launch import LaunchSpec
from sandbox.catalog import sandbox_pairs


class FakeChild:
    """Exits when `exit(code)` is called; SIGTERM exits unless `stubborn`."""

    def __init__(self, pid: int, launch: LaunchSpec, stubborn: bool = False) -> None:
        self._pid = pid
        self.launch = launch
        self.stubborn = stubborn
        self.signals: list[signal.Signals] = []
        self._exit: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    @property
    def pid(self) -> int:
        return self._pid

    def exit(self, code: int) -> None:
        if not self._exit.done():
            self._exit.set_result(code)

    async def wait(self) -> int:
        return await asyncio.shield(self._exit)

    def terminate(self) -> None:
        self.signals.append(signal.SIGTERM)
        if not self.stubborn:
            self.exit(0)

    def kill(self) -> None:
        self.signals.append(signal.SIGKILL)
        self.exit(-signal.SIGKILL)


class FakeLauncher:
    """Records every spawn; `fail_next` makes the next spawn raise."""

    def __init__(self, stubborn: bool = False) -> None:
        self.children: list[FakeChild] = []
        self.stubborn = stubborn
        self.fail_next = False
        self.market_reads: list[ExchangeSpec] = []
        self._pids = itertools.count(50_000)

    def spawn(self, launch: LaunchSpec) -> FakeChild:
        if self.fail_next:
            self.fail_next = False
            raise OSError("fork failed")
        child = FakeChild(next(self._pids), launch, self.stubborn)
        self.children.append(child)
        return child

    def list_markets(self, exchange: ExchangeSpec) -> list[str]:
        """What the sandbox lists, as a real exchange read would answer."""
        self.market_reads.append(exchange)
        return sandbox_pairs()

    def server_pid(self) -> int | None:
        return None

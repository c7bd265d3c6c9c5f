"""The bot lifecycle through the fake seam: start, ready, crash, backoff, fatal, stop."""

from __future__ import annotations

import signal
from collections.abc import Callable

import pytest

from runtime.bot import BotHooks, BotProcess
from runtime.errors import Conflict
from runtime.exchange import ExchangeSpec
from runtime.launch import LaunchSpec
from runtime.process import describe_exit
from runtime.restart_policy import RestartPolicy
from runtime.states import State
from tests.helpers import async_wait_until
from tests.runtime.fakes import FakeLauncher

EXCHANGE = ExchangeSpec("binance", "http://s")
LAUNCH = LaunchSpec(
    "b1", "/x", "/x/c", "/x/e", EXCHANGE, ("BTC/USDT",), "/x/l", "/x/o", "/x/r", "/x/h"
)


class Ready:
    def __init__(self) -> None:
        self.value = True

    async def __call__(self) -> bool:
        return self.value


def make_bot(
    launcher: FakeLauncher,
    ready: Ready | None = None,
    policy: RestartPolicy | None = None,
    start_timeout: float = 5.0,
    stop_grace: float = 5.0,
) -> BotProcess:
    hooks = BotHooks(prepare=lambda: LAUNCH, ready=ready or Ready(), explain=describe_exit)
    return BotProcess(
        "b1",
        launcher,
        hooks,
        policy or RestartPolicy(base_delay=0.01, max_delay=0.05, window=60, max_crashes=3),
        start_timeout=start_timeout,
        stop_grace=stop_grace,
    )


async def until(cond: Callable[[], bool], what: str) -> None:
    async def check() -> bool:
        return cond()

    await async_wait_until(check, timeout=5, interval=0.01, what=what)


async def test_start_becomes_running_and_stop_is_graceful() -> None:
    launcher = FakeLauncher()
    bot = make_bot(launcher)
    bot.start()
    assert bot.state is State.STARTING
    assert bot.pid == launcher.children[0].pid
    await until(lambda: bot.state is State.RUNNING, "running")
    assert bot.uptime() is not None
    with pytest.raises(Conflict):
        bot.start()
    await bot.stop()
    assert bot.state is State.STOPPED  # type: ignore[comparison-overlap]  # changed by stop()
    assert launcher.children[0].signals == [signal.SIGTERM]
    assert bot.pid is None
    assert bot.last_exit == "stopped (exit code 0)"


async def test_crash_restarts_with_backoff_then_fatal() -> None:
    launcher = FakeLauncher()
    bot = make_bot(launcher)
    bot.start()
    await until(lambda: bot.state is State.RUNNING, "running")
    launcher.children[0].exit(-signal.SIGKILL)
    await until(lambda: len(launcher.children) == 2, "respawn")
    assert bot.restarts == 1
    assert bot.last_exit == "killed by SIGKILL"
    await until(lambda: bot.state is State.RUNNING, "running again")
    launcher.children[1].exit(1)
    await until(lambda: len(launcher.children) == 3, "second respawn")
    launcher.children[2].exit(1)
    await until(lambda: bot.state is State.FATAL, "fatal")
    assert bot.fatal_reason is not None
    assert "crashed 3 times" in bot.fatal_reason
    # A fatal bot starts again by hand, with a clean crash history.
    bot.start()
    await until(lambda: bot.state is State.RUNNING, "running after fatal")
    assert bot.fatal_reason is None
    await bot.stop()


async def test_stop_during_backoff_cancels_the_restart() -> None:
    launcher = FakeLauncher()
    bot = make_bot(launcher, policy=RestartPolicy(base_delay=30, max_crashes=5))
    bot.start()
    await until(lambda: bot.state is State.RUNNING, "running")
    launcher.children[0].exit(2)
    await until(lambda: bot.state is State.BACKOFF, "backoff")
    assert bot.backoff_until is not None
    await bot.stop()
    assert bot.state is State.STOPPED
    assert len(launcher.children) == 1


async def test_sigkill_after_grace() -> None:
    launcher = FakeLauncher(stubborn=True)
    bot = make_bot(launcher, stop_grace=0.05)
    bot.start()
    await until(lambda: bot.state is State.RUNNING, "running")
    await bot.stop()
    assert launcher.children[0].signals == [signal.SIGTERM, signal.SIGKILL]
    assert bot.state is State.STOPPED
    assert bot.last_exit == "stopped (killed by SIGKILL)"


async def test_api_never_answering_is_a_crash() -> None:
    launcher = FakeLauncher()
    ready = Ready()
    ready.value = False
    bot = make_bot(launcher, ready=ready, start_timeout=0.1)
    bot.start()
    await until(lambda: len(launcher.children) >= 2, "restart after start timeout")
    assert launcher.children[0].signals == [signal.SIGKILL]
    assert bot.last_exit == "API did not answer within 0.1s"
    await bot.stop()
    assert bot.state is State.STOPPED


async def test_stop_while_starting() -> None:
    launcher = FakeLauncher()
    ready = Ready()
    ready.value = False
    bot = make_bot(launcher, ready=ready)
    bot.start()
    await bot.stop()
    assert bot.state is State.STOPPED


async def test_spawn_failure_goes_through_the_policy() -> None:
    launcher = FakeLauncher()
    launcher.fail_next = True
    bot = make_bot(launcher)
    bot.start()
    await until(lambda: bot.state is State.RUNNING, "running after a failed spawn")
    assert bot.restarts == 1
    assert bot.last_exit == "spawn failed: fork failed"
    await bot.stop()


def test_describe_exit() -> None:
    assert describe_exit(0) == "exit code 0"
    assert describe_exit(-9) == "killed by SIGKILL"
    assert describe_exit(-200) == "killed by signal 200"


async def test_abort_restarts_a_running_bot_with_the_reason_and_reports_the_exit() -> None:
    launcher = FakeLauncher()
    exits: list[str] = []
    hooks = BotHooks(
        prepare=lambda: LAUNCH, ready=Ready(), explain=describe_exit, exited=exits.append
    )
    policy = RestartPolicy(base_delay=0.01, max_delay=0.05, window=60, max_crashes=3)
    bot = BotProcess("b1", launcher, hooks, policy, start_timeout=5.0, stop_grace=0.05)
    assert not bot.abort("stalled: not running yet")  # nothing to abort before a process runs
    bot.start()
    await until(lambda: bot.state is State.RUNNING, "running")
    launcher.children[0].stubborn = True  # a stuck bot ignores SIGTERM: SIGKILL after grace
    assert bot.abort("stalled: no loop pass for 90s (throttle 5s)")
    await until(lambda: len(launcher.children) == 2, "respawn after the stall")
    assert launcher.children[0].signals == [signal.SIGTERM, signal.SIGKILL]
    assert bot.last_exit == "stalled: no loop pass for 90s (throttle 5s)"
    assert exits == ["stalled: no loop pass for 90s (throttle 5s)"]
    assert bot.restarts == 1
    await until(lambda: bot.state is State.RUNNING, "running again")
    launcher.children[1].exit(3)  # the next exit is explained as usual, not as the stall
    await until(lambda: len(exits) == 2, "second exit")
    assert exits[1] == "exit code 3"
    await bot.stop()

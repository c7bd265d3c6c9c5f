"""Background loops: a failed pass is logged and the loop goes on; the stop signal ends it."""

from __future__ import annotations

import asyncio
import logging

import pytest

from gateway.background import every


async def test_a_loop_survives_a_failed_pass_and_stops_on_the_signal(
    caplog: pytest.LogCaptureFixture,
) -> None:
    passes: list[int] = []
    stop = asyncio.Event()

    async def step() -> None:
        passes.append(len(passes))
        if len(passes) == 2:
            raise RuntimeError("database down")
        if len(passes) == 4:
            stop.set()

    with caplog.at_level(logging.ERROR, logger="gateway.background"):
        await asyncio.wait_for(every("demo", 0.01, step, stop), timeout=5)
    assert passes == [0, 1, 2, 3]  # the failure did not end the loop; the signal did
    assert [r.getMessage() for r in caplog.records] == ["demo pass failed"]


async def test_stop_cuts_the_wait_short() -> None:
    stop = asyncio.Event()

    async def step() -> None:
        stop.set()

    # An hour-long interval: the loop still ends as soon as the signal is set.
    await asyncio.wait_for(every("slow", 3600, step, stop), timeout=1)

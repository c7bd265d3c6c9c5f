"""The gateway's background loops: pool health, reconciler, expired pauses, trade monitor,
snapshots, the strategy store's watch.

Each loop runs one pass, then waits for its interval or for the stop signal. On shutdown the
signal is set and the current passes are allowed to finish (a pass cancelled in the middle
of a query could leave its database connection inside a transaction); only a pass that
overruns the grace period is cancelled.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

from aiohttp import web

from gateway.keys import SERVICES, SETTINGS

logger = logging.getLogger(__name__)

STOP_GRACE_S = 15.0
Step = Callable[[], Awaitable[object]]


async def every(name: str, interval: float, step: Step, stop: asyncio.Event) -> None:
    """Run `step` every `interval` seconds until `stop` is set; failures are only logged."""
    while not stop.is_set():
        try:
            await step()
        except Exception:  # one failed pass (pool down, database down) must not end the loop
            logger.exception("%s pass failed", name)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval)


async def background_loops(app: web.Application) -> AsyncIterator[None]:
    """Run the loops while the app serves; stop them before services close."""
    services, settings = app[SERVICES], app[SETTINGS]
    loops: dict[str, tuple[float, Step]] = {
        "pool-health": (settings.pool_health_interval, services.pools.check_health),
        "reconciler": (settings.reconcile_interval, services.reconciler.run_once),
        "pause-expiry": (settings.reconcile_interval, services.risk.expire_pauses),
        "trade-monitor": (settings.trade_monitor_interval, services.monitor.check_all),
        "snapshots": (settings.snapshot_interval, services.snapshots.snapshot_pass),
        "strategy-watch": (settings.strategy_watch_interval, services.strategies.refresh),
    }
    stop = asyncio.Event()
    tasks = [
        asyncio.create_task(every(name, interval, step, stop), name=name)
        for name, (interval, step) in loops.items()
        if interval > 0
    ]
    logger.info("background loops: %s", ", ".join(t.get_name() for t in tasks) or "none")
    yield
    stop.set()
    if tasks:
        _, late = await asyncio.wait(tasks, timeout=STOP_GRACE_S)
        for task in late:
            logger.warning("background loop %s overran its stop grace; cancelled", task.get_name())
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def close_streams(app: web.Application) -> None:
    """On shutdown, end every open SSE stream so the server does not wait for them."""
    await app[SERVICES].stream.close()

"""The gateway's background loops: pool health, reconciler, expired pauses, trade monitor,
snapshots, the strategy store's watch.

Each loop runs one pass, then waits for its interval or for the stop signal. On shutdown the
signal is set and the current passes are allowed to finish (a pass cancelled in the middle
of a query could leave its database connection inside a transaction); only a pass that
overruns the grace period is cancelled.

With several gateway replicas, two kinds of loop:
- per replica (`pool-health`: each replica routes on its own view of the pools;
  `strategy-watch`: each replica's own view of the strategy store) run everywhere;
- leader-only (`reconciler`, `pause-expiry`, `trade-monitor`, `snapshots`: they act on pools,
  notify users and write rows, so twice would be wrong) run only while this replica holds the
  `background` lease (gateway/services/leader.py). When it gains the lease they start, first
  pass at once; when it loses it they stop starting passes (a pass in progress finishes, as on
  shutdown). On shutdown the leader-only loops stop first and the lease is given back last,
  so the next leader starts only after this one's passes ended.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from typing import Any

from aiohttp import web

from gateway.keys import METRICS, SERVICES, SETTINGS
from gateway.services.leader import Leadership

logger = logging.getLogger(__name__)

STOP_GRACE_S = 15.0
RENEWALS_PER_TTL = 3  # the lease is renewed every ttl/3 (settings.leader_lease_ttl)
Step = Callable[[], Awaitable[object]]
Loops = dict[str, tuple[float, Step]]


async def every(name: str, interval: float, step: Step, stop: asyncio.Event) -> None:
    """Run `step` every `interval` seconds until `stop` is set; failures are only logged."""
    while not stop.is_set():
        try:
            await step()
        except Exception:  # one failed pass (pool down, database down) must not end the loop
            logger.exception("%s pass failed", name)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval)


def start_loops(loops: Loops, stop: asyncio.Event) -> list[asyncio.Task[None]]:
    """One task per loop with a positive interval (0 = off)."""
    return [
        asyncio.create_task(every(name, interval, step, stop), name=name)
        for name, (interval, step) in loops.items()
        if interval > 0
    ]


async def finish(tasks: list[asyncio.Task[None]]) -> None:
    """Wait for loops whose stop signal is set; cancel those that overrun the grace period."""
    if not tasks:
        return
    _, late = await asyncio.wait(tasks, timeout=STOP_GRACE_S)
    for task in late:
        logger.warning("background loop %s overran its stop grace; cancelled", task.get_name())
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def while_leading(leadership: Leadership, step: Step) -> Step:
    """`step`, skipped when this replica's lease ran out before the loop heard of it."""

    async def guarded() -> object:
        return await step() if leadership.is_leader else None

    return guarded


async def lead(leadership: Leadership, loops: Loops, stop: asyncio.Event) -> None:
    """Run `loops` during each stretch of leadership, until `stop` is set."""
    while await _first(leadership.leading.wait(), stop):
        term_stop = asyncio.Event()
        guarded = {name: (i, while_leading(leadership, s)) for name, (i, s) in loops.items()}
        tasks = start_loops(guarded, term_stop)
        logger.info("leader-only loops started: %s", ", ".join(t.get_name() for t in tasks))
        await _first(leadership.following.wait(), stop)
        term_stop.set()
        await finish(tasks)
        logger.info("leader-only loops stopped")


async def _first(waited: Coroutine[Any, Any, object], stop: asyncio.Event) -> bool:
    """Wait for `waited` or for `stop`; True when `waited` came first (and stop is not set)."""
    task = asyncio.ensure_future(waited)
    stopped = asyncio.ensure_future(stop.wait())
    await asyncio.wait({task, stopped}, return_when=asyncio.FIRST_COMPLETED)
    for pending in (task, stopped):
        pending.cancel()
    return not stop.is_set()


async def background_loops(app: web.Application) -> AsyncIterator[None]:
    """Run the loops while the app serves; stop them before services close."""
    services, settings, metrics = app[SERVICES], app[SETTINGS], app[METRICS]
    per_replica: Loops = {
        "pool-health": (settings.pool_health_interval, services.pools.check_health),
        "strategy-watch": (settings.strategy_watch_interval, services.strategies.refresh),
    }
    leader_only: Loops = {
        "reconciler": (settings.reconcile_interval, services.reconciler.run_once),
        "pause-expiry": (settings.reconcile_interval, services.risk.expire_pauses),
        "trade-monitor": (settings.trade_monitor_interval, services.monitor.check_all),
        "snapshots": (settings.snapshot_interval, services.snapshots.snapshot_pass),
    }
    leader_only = {name: loop for name, loop in leader_only.items() if loop[0] > 0}
    stop, lease_stop = asyncio.Event(), asyncio.Event()
    tasks = start_loops(per_replica, stop)
    logger.info("per-replica loops: %s", ", ".join(t.get_name() for t in tasks) or "none")
    election: asyncio.Task[None] | None = None
    leader: asyncio.Task[None] | None = None
    if leader_only:  # no lease to hold (and no row to write) when every leader loop is off
        replica = services.lease.holder
        leadership = Leadership(
            services.lease,
            interval=settings.leader_lease_ttl / RENEWALS_PER_TTL,
            on_change=lambda leading: metrics.leadership(replica, leading),
        )
        metrics.leadership(replica, False)
        logger.info(
            "replica %s: leader-only loops %s run while it holds the lease (ttl %.1f s)",
            replica,
            ", ".join(leader_only),
            settings.leader_lease_ttl,
        )
        election = asyncio.create_task(leadership.run(lease_stop), name="leader-lease")
        leader = asyncio.create_task(lead(leadership, leader_only, stop), name="leader")
    yield
    stop.set()
    # `lead` gives its own loops the stop grace.
    await asyncio.gather(finish(tasks), *([] if leader is None else [leader]))
    # Only now, with this replica's leader passes over, may another replica take the lease.
    lease_stop.set()
    if election is not None:
        await finish([election])


async def close_streams(app: web.Application) -> None:
    """On shutdown, end every open SSE stream so the server does not wait for them."""
    await app[SERVICES].stream.close()

"""Two real `cryptopilot gateway` processes on one PostgreSQL database: one runs the reconciler.

Both gateways know a pool nobody serves (`ghost`). The reconciler records an unreachable
pool once per process (`problem_unreachable`: a lasting problem is one row), so the number
of such rows is the number of replicas whose reconciler ran: 1 while one leads, 2 after the
leader is SIGKILLed and the other takes over. The leader gauge on /metrics and the admin
overview (asked of the follower) say who leads.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import create_async_engine

from gateway.settings import Settings
from gateway.usercli import create_user
from migrations.schema import reconcile_actions
from tests.fixtures.postgres import PostgresServer
from tests.gateway.conftest import migrate
from tests.gateway.scrape import parse
from tests.helpers import async_wait_until, free_port, wait_until

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
TTL = 2.0
INTERVAL = TTL / 3  # background.RENEWALS_PER_TTL
SECRET = "leader-e2e-" + "x" * 32
ADMIN = ("root@example.com", "root-password-1")


@dataclass
class Gateway:
    replica: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture
def database_url(postgres_server: PostgresServer) -> str:
    return postgres_server.create_database("cryptopilot_leader")


@pytest.fixture
def gateways(database_url: str, tmp_path: Path) -> Iterator[list[Gateway]]:
    ghost = free_port()  # nothing listens there
    started: list[Gateway] = []
    for replica in ("gw-a", "gw-b"):
        port = free_port()
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "PYTHONUNBUFFERED": "1",
            "CRYPTOPILOT_ENV": "test",
            "CRYPTOPILOT_PORT": str(port),
            "CRYPTOPILOT_DATABASE_URL": database_url,
            "CRYPTOPILOT_JWT_SECRET": SECRET,
            "CRYPTOPILOT_BCRYPT_ROUNDS": "4",
            "CRYPTOPILOT_POOLS": f"ghost=http://127.0.0.1:{ghost}",
            "CRYPTOPILOT_POOL_TOKEN": "leader-e2e-pool-token",
            "CRYPTOPILOT_POOL_TIMEOUT": "1",
            "CRYPTOPILOT_POOL_HEALTH_INTERVAL": "1",
            "CRYPTOPILOT_RECONCILE_INTERVAL": "0.5",
            "CRYPTOPILOT_TRADE_MONITOR_INTERVAL": "1",
            "CRYPTOPILOT_SNAPSHOT_INTERVAL": "1",
            "CRYPTOPILOT_STRATEGY_WATCH_INTERVAL": "0",
            "CRYPTOPILOT_STRATEGY_REPO": str(tmp_path / f"strategies-{replica}"),
            "CRYPTOPILOT_REPLICA_ID": replica,
            "CRYPTOPILOT_LEADER_LEASE_TTL": str(TTL),
        }
        log = tmp_path / f"{replica}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [str(VENV_BIN / "cryptopilot"), "gateway"], env=env, stdout=out, stderr=out
            )
        started.append(Gateway(replica, port, process, log))
    try:
        for gateway in started:
            wait_until(partial(_answers, gateway), timeout=60, what=f"{gateway.replica} answering")
        yield started
    finally:
        for gateway in started:
            if gateway.process.poll() is None:
                gateway.process.terminate()
        for gateway in started:
            try:
                gateway.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                gateway.process.kill()
            print(f"--- {gateway.replica}\n{gateway.log.read_text()[-3000:]}", file=sys.stderr)


def _answers(gateway: Gateway) -> bool:
    done = subprocess.run(
        ["curl", "-fs", f"{gateway.url}/api/health"], capture_output=True, check=False
    )
    return done.returncode == 0


async def _metrics(session: aiohttp.ClientSession, gateway: Gateway) -> dict[str, float]:
    async with session.get(f"{gateway.url}/metrics") as response:
        assert response.status == 200
        found = parse(await response.text())
    return {
        "leader": found.value("cryptopilot_gateway_leader", replica=gateway.replica) or 0.0,
        "unreachable": found.value(
            "cryptopilot_reconciler_actions_total", action="problem_unreachable"
        )
        or 0.0,
    }


@pytest.mark.e2e
@pytest.mark.postgres
async def test_one_replica_runs_the_reconciler_and_the_other_takes_over(
    database_url: str, gateways: list[Gateway]
) -> None:
    await migrate(database_url)  # already done by the gateways; a no-op that proves it
    settings = Settings(env="test", database_url=database_url, bcrypt_rounds=4)
    await create_user(settings, *ADMIN, None, admin=True)
    engine = create_async_engine(database_url)

    async def unreachable_rows() -> int:
        query = select(func.count()).where(reconcile_actions.c.action == "problem_unreachable")
        async with engine.connect() as conn:
            return int((await conn.execute(query)).scalar_one())

    async with aiohttp.ClientSession() as session:

        async def leaders() -> list[Gateway]:
            live = [g for g in gateways if g.process.poll() is None]
            return [g for g in live if (await _metrics(session, g))["leader"] == 1]

        async def one_leader() -> Gateway | None:
            found = await leaders()
            return found[0] if len(found) == 1 else None

        async def overview(gateway: Gateway) -> dict[str, Any]:
            login = {"email": ADMIN[0], "password": ADMIN[1]}
            async with session.post(f"{gateway.url}/api/auth/login", json=login) as response:
                token = (await response.json())["token"]
            headers = {"Authorization": f"Bearer {token}"}
            async with session.get(f"{gateway.url}/api/admin/pools", headers=headers) as response:
                assert response.status == 200, await response.text()
                body: dict[str, Any] = await response.json()
            return body

        try:
            leader = await async_wait_until(one_leader, timeout=20, what="one leader")
            follower = next(g for g in gateways if g is not leader)
            # Many reconcile passes later, still one replica's reconciler has run.
            await async_wait_until(
                lambda: _async(_passes(leader) >= 6), timeout=20, what="the leader's passes"
            )
            assert _passes(follower) == 0
            assert await unreachable_rows() == 1
            assert (await _metrics(session, leader))["unreachable"] == 1
            assert (await _metrics(session, follower)) == {"leader": 0, "unreachable": 0}
            assert len(await leaders()) == 1
            # Any replica shows who leads.
            first_view = (await overview(follower))["reconciler"]
            assert first_view["leader"]["replica"] == leader.replica
            assert [a["action"] for a in first_view["actions"]] == ["problem_unreachable"]

            leader.process.send_signal(signal.SIGKILL)
            killed = time.monotonic()
            leader.process.wait(timeout=10)
            await async_wait_until(
                lambda: _is_leader(session, follower), timeout=TTL + INTERVAL + 10, what="take-over"
            )
            took = time.monotonic() - killed
            await async_wait_until(
                lambda: _at_least(unreachable_rows, 2), timeout=10, what="the new leader's pass"
            )
            assert (await _metrics(session, follower))["unreachable"] == 1
            second_view = (await overview(follower))["reconciler"]
            assert second_view["leader"]["replica"] == follower.replica
            assert second_view["leader"]["term"] > first_view["leader"]["term"]
        finally:
            await engine.dispose()
    # Take-over within ttl + interval of the death (plus scrape polling and the statement).
    print(f"take-over after SIGKILL of the leader: {took:.2f} s (ttl {TTL} s)")
    assert took < TTL + INTERVAL + 1.0, took
    assert f"replica {follower.replica} now leads the background loops" in follower.log.read_text()


async def _at_least(count: Callable[[], Awaitable[int]], expected: int) -> bool:
    return await count() >= expected


async def _async(value: bool) -> bool:  # a condition for async_wait_until
    return value


async def _is_leader(session: aiohttp.ClientSession, gateway: Gateway) -> bool:
    return (await _metrics(session, gateway))["leader"] == 1


def _passes(gateway: Gateway) -> int:
    """The reconciler passes this gateway has logged."""
    return gateway.log.read_text().count("reconcile pass:")

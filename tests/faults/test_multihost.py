"""Three hosts on real network namespaces: two gateway replicas, two pool hosts, one cut cable.

`gw` runs PostgreSQL, Redis, the sandbox exchange and two gateway replicas (`a` and `b`, the
same code and settings but their replica id); `p1` and `p2` each run one pool supervisor that
listens on its own host's address only and announces itself to the gateway by that address.
The bots' FreqTrade APIs listen on their pool host's loopback and are reached through the pool's
control port (the `bot_api_route` "pool" that a non-loopback control host implies).

1. Bots provisioned through replica `a` spread over both pools and trade; the gateway's proxy
   reaches each bot through its pool, across hosts.
2. Replica `a` (the leader of the background loops) is killed with SIGKILL while a dashboard
   reads replica `b`: `b` never answers an error and takes the lease within seconds.
3. `p1`'s cable is cut: `b`'s reconciler marks `p1`'s bots unreachable, the dashboard still
   answers (with those entries as errors), and `p2`'s bots trade on.
4. The cable is restored: the reconciler brings `p1` and its bots back with every trade; the
   sync brings every trade of every bot into PostgreSQL: nothing is lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
import time
import urllib.request
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine

from cli.processes import stop_process
from migrations.schema import bot_trades
from runtime.rpc.client import PoolClient
from tests.fixtures.netns import Host, Hosts, connects, env_with
from tests.fixtures.pools import POOL_TOKEN, REPO
from tests.fixtures.private_postgres import private_server
from tests.gateway.conftest import PASSWORD, migrate
from tests.helpers import async_wait_until, unavailable, wait_until

GATEWAY_PORTS = {"a": 18080, "b": 18081}
POOL_PORT = 18070
SANDBOX_PORT = 18090
REDIS_PORT = 6379
LEASE_TTL_S = 3.0
PAIRS = ["BTC/USD", "ETH/USD", "SOL/USD", "BNB/USD", "XRP/USD", "LTC/USD"]
BOTS_PER_POOL = 2
CUT_S = 20.0  # how long p1 stays off the network (several reconciler passes)


@dataclass
class Platform:
    """The processes of the three hosts and how the test reaches them."""

    hosts: Hosts
    work: Path
    database_url: str  # as the test (and the pools) reach it
    local_database_url: str  # as the gateways on `gw` reach it
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start(self, name: str, host: Host, args: list[str], **env: Any) -> None:
        log = (self.work / f"{name}.log").open("ab")
        self.processes[name] = host.popen(args, log=log, env=env_with(**env), cwd=REPO)
        log.close()

    def gateway_url(self, replica: str) -> str:
        return self.hosts["gw"].url(GATEWAY_PORTS[replica])

    def pool_url(self, label: str) -> str:
        return self.hosts[label].url(POOL_PORT)

    def log(self, name: str) -> str:
        return (self.work / f"{name}.log").read_text(errors="replace")[-4000:]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (test URL)
            return bool(response.status == 200)
    except OSError:
        return False


def _wait_up(platform: Platform, name: str, url: str, timeout: float = 90) -> None:
    process = platform.processes[name]
    wait_until(
        lambda: process.poll() is not None or _answers(url), timeout=timeout, what=f"{name} up"
    )
    if process.poll() is not None:
        raise AssertionError(f"{name} exited with {process.returncode}:\n{platform.log(name)}")


def _gateway_env(platform: Platform, replica: str) -> dict[str, Any]:
    return {
        "CRYPTOPILOT_ENV": "test",
        "CRYPTOPILOT_DATABASE_URL": platform.local_database_url,
        "CRYPTOPILOT_JWT_SECRET": "multihost-secret-" + "x" * 32,
        "CRYPTOPILOT_BCRYPT_ROUNDS": 4,
        "CRYPTOPILOT_POOL_TOKEN": POOL_TOKEN,
        "CRYPTOPILOT_REDIS_URL": f"redis://127.0.0.1:{REDIS_PORT}/0",
        "CRYPTOPILOT_REPLICA_ID": f"gateway-{replica}",
        "CRYPTOPILOT_LEADER_LEASE_TTL": LEASE_TTL_S,
        "CRYPTOPILOT_POOL_HEALTH_INTERVAL": 0.5,
        "CRYPTOPILOT_RECONCILE_INTERVAL": 1,
        "CRYPTOPILOT_TRADE_MONITOR_INTERVAL": 2,
        "CRYPTOPILOT_SNAPSHOT_INTERVAL": 5,
        "CRYPTOPILOT_STRATEGY_REPO": str(platform.work / "strategies-repo"),
        "CRYPTOPILOT_MARKET_URL": platform.hosts["gw"].url(SANDBOX_PORT),
        "CRYPTOPILOT_MAX_BOTS_PER_USER": 2 * BOTS_PER_POOL,
        "CRYPTOPILOT_RATE_LIMIT_DEFAULT": "100000/60",
        "CRYPTOPILOT_RATE_LIMIT_AUTH": "1000/60",
    }


def _start_gateway(platform: Platform, replica: str) -> None:
    name = f"gateway-{replica}"
    args = [sys.executable, "-m", "cli.main", "gateway", "--host", "0.0.0.0"]  # noqa: S104
    args += ["--port", str(GATEWAY_PORTS[replica])]
    platform.start(name, platform.hosts["gw"], args, **_gateway_env(platform, replica))
    _wait_up(platform, name, platform.gateway_url(replica) + "/api/ready")


def _start_pool(platform: Platform, label: str) -> None:
    host = platform.hosts[label]
    data = platform.work / label
    data.mkdir()
    args = [sys.executable, "-m", "cli.main", "pool", "run", "--pool-id", label,
            "--data-dir", str(data), "--control-host", host.address,
            "--control-port", str(POOL_PORT),
            "--exchange-url", platform.hosts["gw"].url(SANDBOX_PORT),
            "--api-port-min", "20000", "--api-port-max", "20020",
            "--capacity", str(BOTS_PER_POOL + 1), "--stop-grace", "10",
            "--gateway-url", platform.gateway_url("b"), "--announce-interval", "2",
            "--sync-database-url", platform.database_url, "--sync-interval", "1"]  # fmt: skip
    platform.start(f"pool-{label}", host, args, CRYPTOPILOT_POOL_TOKEN=POOL_TOKEN)


@contextmanager
def platform_on(hosts: Hosts, work: Path) -> Iterator[Platform]:
    """PostgreSQL, Redis and the sandbox on `gw`; gateways and pools are started by the test."""
    gw = hosts["gw"]
    subnet = gw.address.rsplit(".", 1)[0] + ".0/24"
    if subprocess.run(["which", "redis-server"], capture_output=True).returncode != 0:
        unavailable("redis-server is not installed")
    with ExitStack() as stack:
        server = stack.enter_context(
            private_server(gw.command([]), listen=f"127.0.0.1,{gw.address}", trust_from=subnet)
        )
        local = server.create_database("gateway")
        platform = Platform(hosts, work, local.replace("@127.0.0.1:", f"@{gw.address}:"), local)
        try:
            redis = ["redis-server", "--port", str(REDIS_PORT), "--bind", "127.0.0.1",
                     "--save", "", "--appendonly", "no"]  # fmt: skip
            platform.start("redis", gw, redis)
            sandbox = [sys.executable, "-m", "sandbox", "--host", gw.address, "--port",
                       str(SANDBOX_PORT), "--seed", "42"]  # fmt: skip
            platform.start("sandbox", gw, sandbox)
            _wait_up(platform, "sandbox", gw.url(SANDBOX_PORT) + "/api/v3/ping")
            yield platform
        finally:
            for process in reversed(list(platform.processes.values())):
                stop_process(process, 30)


class Api:
    """A user's HTTP client of one gateway replica."""

    def __init__(self, session: aiohttp.ClientSession, base: str, token: str = "") -> None:
        self.session, self.base, self.token = session, base, token

    def on(self, base: str) -> Api:
        return Api(self.session, base, self.token)

    async def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        async with self.session.request(
            method, self.base + path, json=body, headers=headers
        ) as response:
            return response.status, await response.json(content_type=None)

    async def ok(self, method: str, path: str, body: Any = None) -> Any:
        status, payload = await self.call(method, path, body)
        assert 200 <= status < 300, (method, path, status, payload)
        return payload

    async def login(self, email: str, register: bool = True) -> Api:
        if register:
            body = {"username": email.split("@")[0], "email": email, "password": PASSWORD}
            await self.ok("POST", "/api/auth/register", body)
        answer = await self.ok("POST", "/api/auth/login", {"email": email, "password": PASSWORD})
        return Api(self.session, self.base, str(answer["token"]))


def _provision_body(bot_id: str) -> dict[str, Any]:
    return {
        "instanceId": bot_id, "exchange": "kraken", "strategy": "SandboxScalp1m",
        "stake_currency": "USD", "tradingPairs": PAIRS, "initialBalance": 150,
        "stake_amount": 40, "max_open_trades": 6, "timeframe": "1m", "dry_run": True,
    }  # fmt: skip


async def _bots(api: Api) -> dict[str, dict[str, Any]]:
    return {b["instanceId"]: b for b in (await api.ok("GET", "/api/freqtrade/bots"))["bots"]}


async def _leader(admin: Api) -> str | None:
    overview = await admin.ok("GET", "/api/admin/pools")
    leader = overview["reconciler"].get("leader") or {}
    return leader.get("replica")


async def _trade_ids(api: Api, bot_id: str) -> set[int]:
    """A bot's open (`/status`) and closed (`/trades`) trades from its own FreqTrade API,
    reached through gateway -> pool -> bot."""
    base = f"/api/freqtrade/proxy/{bot_id}/api/v1"
    open_trades = await api.ok("GET", f"{base}/status")
    closed = (await api.ok("GET", f"{base}/trades?limit=500"))["trades"]
    return {int(t["trade_id"]) for t in [*open_trades, *closed]}


async def _last_loop(api: Api, bot_id: str) -> float:
    health = await api.ok("GET", f"/api/freqtrade/proxy/{bot_id}/api/v1/health")
    return float(health["last_process_ts"] or 0)


@dataclass
class Dashboard:
    """A browser reading P1 and B1 from one replica every 0.3 s; every non-200 is kept."""

    api: Api
    reads: int = 0
    errors: list[Any] = field(default_factory=list)

    async def run(self) -> None:
        while True:
            for path in ("/api/freqtrade/portfolio", "/api/freqtrade/bots"):
                try:
                    status, body = await self.api.call("GET", path)
                except (aiohttp.ClientError, TimeoutError) as exc:
                    status, body = 0, repr(exc)
                self.reads += 1
                if status != 200:
                    self.errors.append((time.monotonic(), path, status, body))
            await asyncio.sleep(0.3)


@contextlib.asynccontextmanager
async def reading(dashboard: Dashboard) -> AsyncIterator[Dashboard]:
    task = asyncio.create_task(dashboard.run())
    try:
        yield dashboard
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _synced(database_url: str) -> set[tuple[str, int]]:
    engine = create_async_engine(database_url)
    try:
        query = select(bot_trades.c.bot_id, bot_trades.c.trade_id)
        async with engine.connect() as conn:
            rows = (await conn.execute(query.where(bot_trades.c.deleted_at.is_(None)))).all()
    finally:
        await engine.dispose()
    return {(str(bot_id), int(trade_id)) for bot_id, trade_id in rows}


def _create_admin(platform: Platform, email: str) -> None:
    created = subprocess.run(
        [sys.executable, "-m", "cli.main", "user", "create", "--admin", "--email", email,
         "--password", PASSWORD],
        cwd=REPO, capture_output=True, text=True, timeout=60, check=False,
        env=env_with(**_gateway_env(platform, "cli")
                     | {"CRYPTOPILOT_DATABASE_URL": platform.database_url}),
    )  # fmt: skip
    assert created.returncode == 0, created.stderr


@dataclass
class Scene:
    """Who acts in the test: the user on replica b, the admin on b, which bots are where."""

    platform: Platform
    alice: Api
    admin: Api
    on: dict[str, list[str]]

    @property
    def bot_ids(self) -> list[str]:
        return sorted(b for bots in self.on.values() for b in bots)


async def _spread_and_trade(platform: Platform, alice_a: Api, admin_b: Api) -> Scene:
    """Provision through replica a; bots land on both hosts and trade, proxied via pools."""
    bot_ids = [f"alice-bot-{i}" for i in range(1, 2 * BOTS_PER_POOL + 1)]
    for bot_id in bot_ids:
        await alice_a.ok("POST", "/api/freqtrade/provision", _provision_body(bot_id))

    async def all_running() -> bool:
        return all(b["state"] == "running" for b in (await _bots(alice_a)).values())

    await async_wait_until(all_running, 240, 1, "every bot running")
    placed = {b["instanceId"]: b["poolId"] for b in (await _bots(alice_a)).values()}
    on = {label: sorted(b for b, p in placed.items() if p == label) for label in ("p1", "p2")}
    assert [len(on["p1"]), len(on["p2"])] == [BOTS_PER_POOL, BOTS_PER_POOL], placed
    # A bot's own API is on its host's loopback only: not reachable from the gateway host.
    async with PoolClient(platform.pool_url("p1"), POOL_TOKEN) as pool:
        view = await pool.bot_status(on["p1"][0])
    assert view["api"]["url"] == f"{platform.pool_url('p1')}/bots/{on['p1'][0]}"
    assert not await asyncio.to_thread(
        connects, platform.hosts["gw"], platform.hosts["p1"].address, int(view["api_port"])
    )

    async def traded() -> bool:  # every bot read through gateway -> pool -> bot
        counts = [len(await _trade_ids(alice_a, b)) for b in bot_ids]
        return all(counts)

    await async_wait_until(traded, 300, 2, "a trade on every bot (read via the pools)")
    return Scene(platform, alice_a.on(platform.gateway_url("b")), admin_b, on)


async def _kill_the_leader(scene: Scene) -> float:
    """SIGKILL replica a while a dashboard reads b; seconds until b holds the lease."""
    async with reading(Dashboard(scene.alice)) as dashboard:
        await asyncio.sleep(3)
        scene.platform.processes["gateway-a"].kill()
        killed_at = time.monotonic()
        await async_wait_until(
            lambda: _leader_is(scene.admin, "gateway-b"), LEASE_TTL_S * 4, 0.25, "b leading"
        )
        took_over_s = time.monotonic() - killed_at
        await asyncio.sleep(3)
    assert dashboard.reads > 20 and dashboard.errors == [], dashboard.errors
    return took_over_s


async def _cut_p1(scene: Scene) -> dict[str, set[int]]:
    """Unplug p1: its bots become unreachable, the rest trade on; each bot's trades before."""
    alice, on = scene.alice, scene.on
    before = {b: await _trade_ids(alice, b) for b in scene.bot_ids}
    loops_before = {b: await _last_loop(alice, b) for b in on["p2"]}
    scene.platform.hosts.cut("p1")
    cut_at = time.monotonic()

    async def p1_unreachable() -> bool:
        bots = await _bots(alice)
        return all(bots[b]["state"] == "unreachable" for b in on["p1"])

    await async_wait_until(p1_unreachable, 60, 0.5, "p1's bots marked unreachable")
    print(f"p1's bots marked unreachable {time.monotonic() - cut_at:.1f}s after the cut")
    actions = (await scene.admin.ok("GET", "/api/admin/pools"))["reconciler"]["actions"]
    marked = {a["botId"] for a in actions if a["action"] == "marked_unreachable"}
    assert set(on["p1"]) <= marked  # by b's reconciler: the loops moved over
    portfolio = await alice.ok("GET", "/api/freqtrade/portfolio")
    failing = {e["instanceId"] for e in portfolio["bots"] if e.get("error")}
    assert failing == set(on["p1"]), portfolio  # p1's summaries cannot be read: errors
    bots_now = await _bots(alice)
    assert all(bots_now[b]["state"] == "running" for b in on["p2"]), bots_now
    await asyncio.sleep(max(0.0, CUT_S - (time.monotonic() - cut_at)))
    for bot_id in on["p2"]:  # the other host's bots trade on
        assert await _last_loop(alice, bot_id) > loops_before[bot_id]
    path = f"/api/freqtrade/proxy/{on['p1'][0]}/api/v1/ping"
    status, body = await alice.call("GET", path)
    assert status == 502 and body["code"] == "BOT_OFFLINE", (status, body)
    return before


async def _restore_p1(scene: Scene, before: dict[str, set[int]]) -> None:
    """Plug p1 back: the reconciler brings its bots back with every trade, all synced."""
    alice, platform = scene.alice, scene.platform
    platform.hosts.restore("p1")

    async def p1_back() -> bool:
        bots = await _bots(alice)
        return all(bots[b]["state"] == "running" for b in scene.on["p1"])

    restored_at = time.monotonic()
    await async_wait_until(p1_back, 90, 0.5, "p1's bots running again")
    print(f"p1's bots running again {time.monotonic() - restored_at:.1f}s after the restore")
    after = {b: await _trade_ids(alice, b) for b in scene.bot_ids}
    for bot_id in scene.bot_ids:
        assert before[bot_id] <= after[bot_id], bot_id
    for label in ("p1", "p2"):
        async with PoolClient(platform.pool_url(label), POOL_TOKEN, timeout=60) as pool:
            assert (await pool.sync_now())["target"]["ok"] is True
    every_trade = {(b, t) for b, ids in after.items() for t in ids}

    async def all_synced() -> bool:
        return every_trade <= await _synced(platform.database_url)

    await async_wait_until(all_synced, 60, 1, "every trade synced into PostgreSQL")


async def _leader_is(admin: Api, replica: str) -> bool:
    try:
        return await _leader(admin) == replica
    except (aiohttp.ClientError, AssertionError):
        return False


@pytest.mark.e2e
async def test_pools_on_two_hosts_and_two_gateway_replicas(
    three_hosts: Hosts, tmp_path: Path
) -> None:
    with platform_on(three_hosts, tmp_path) as platform:
        await migrate(platform.database_url)
        await asyncio.to_thread(_create_admin, platform, "ops@example.com")
        # Replica a first, so it takes the lease; then b, which the pools announce to.
        _start_gateway(platform, "a")
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
            admin_a = await Api(session, platform.gateway_url("a")).login(
                "ops@example.com", register=False
            )
            await async_wait_until(lambda: _leader_is(admin_a, "gateway-a"), 30, 0.5, "a leads")
            _start_gateway(platform, "b")
            admin_b = admin_a.on(platform.gateway_url("b"))
            for label in ("p1", "p2"):
                _start_pool(platform, label)

            async def both_pools_healthy() -> bool:
                pools = (await admin_b.ok("GET", "/api/admin/pools"))["pools"]
                return sorted(p["id"] for p in pools if p["status"] == "healthy") == ["p1", "p2"]

            await async_wait_until(both_pools_healthy, 120, 1, "both pools announced, healthy")
            pools = (await admin_b.ok("GET", "/api/admin/pools"))["pools"]
            assert {p["id"]: p["url"] for p in pools} == {
                label: platform.pool_url(label) for label in ("p1", "p2")
            }  # each pool announced its own host's address

            alice_a = await Api(session, platform.gateway_url("a")).login("alice@example.com")
            scene = await _spread_and_trade(platform, alice_a, admin_b)
            took_over_s = await _kill_the_leader(scene)
            print(f"replica b took the lease {took_over_s:.1f}s after replica a's SIGKILL")
            assert took_over_s <= LEASE_TTL_S * 2, took_over_s
            before = await _cut_p1(scene)
            await _restore_p1(scene, before)

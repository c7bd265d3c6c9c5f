"""Portfolio cost: P1 from the pools' published summaries vs from every bot, and proxy overhead.

Starts a sandbox exchange and `--pools` real pool supervisors holding `--bots` bots in total
(SafeDefaultStrategy on one pair: they answer their API but never trade), builds the gateway
in-process on a temporary SQLite database with one user owning every bot, then measures in
the same run:

* GET /api/freqtrade/portfolio with the first `--small` bots only (pools' summaries), then
  with all of them, from the summaries (the default source, one call per pool) and from every
  bot's API (`portfolio_source = "bots"`) with the default `bot_concurrency` and with 1;
* the bots' CPU (summed over their processes) for `--window` seconds with no dashboard, then
  with `--sse` SSE clients open on each source: what serving dashboards costs the bots;
* GET /api/v1/balance of one bot straight from the bot, through /api/freqtrade/proxy, and
  through a second gateway on the same database with `recent_read_ttl=0` (interleaved).

    .venv/bin/python bench/portfolio.py [--bots 50] [--pools 5] [--small 10] [--sse 20]
        [--window 20] [--requests 30] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import psutil
from aiohttp.test_utils import TestClient, TestServer

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench import sse  # noqa: E402
from bench.sandbox import start_sandbox  # noqa: E402
from bench.sse import StreamStats  # noqa: E402
from cli.processes import stop_process  # noqa: E402
from gateway.app import create_app  # noqa: E402
from gateway.keys import SERVICES  # noqa: E402
from gateway.services.dashboard.live import BotApiSource  # noqa: E402
from gateway.settings import Settings  # noqa: E402
from runtime.rpc.client import PoolClient  # noqa: E402
from tests.helpers import async_wait_until, free_port  # noqa: E402

PAIR = "BTC/USDT"
PASSWORD = "bench-password-1"  # noqa: S105 - a throw-away local user


def start_pool(index: int, capacity: int, sandbox: str, work: Path, token: str) -> tuple[Any, str]:
    port, low = free_port(), 23_000 + index * 200
    process = subprocess.Popen(
        [
            sys.executable, "-m", "cli.main", "pool", "run",
            "--pool-id", f"bench-{index}",
            "--data-dir", str(work / f"pool-{index}"),
            "--control-port", str(port),
            "--exchange-url", sandbox,
            "--capacity", str(capacity),
            "--api-port-min", str(low),
            "--api-port-max", str(low + capacity + 20),
            "--log-level", "WARNING",
        ],
        cwd=REPO,
        env={**os.environ, "CRYPTOPILOT_POOL_TOKEN": token},
    )  # fmt: skip
    return process, f"http://127.0.0.1:{port}"


async def fill_pool(url: str, token: str, bot_ids: list[str]) -> list[dict[str, Any]]:
    """Wait for the pool, add its bots, and return their views once all are running."""
    async with PoolClient(url, token, timeout=300) as pool:

        async def up() -> bool:
            try:
                return bool((await pool.health())["success"])
            except OSError:
                return False

        await async_wait_until(up, timeout=120, what=f"pool {url}")
        for bot_id in bot_ids:
            await pool.add_bot(
                {"bot_id": bot_id, "owner": "bench", "strategy": "SafeDefaultStrategy",
                 "pairs": [PAIR], "stake_currency": "USDT", "dry_run_wallet": 1000}
            )  # fmt: skip
        return [await pool.wait_for_state(b, "running", 600, 0.5) for b in bot_ids]


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)]


async def timed(call: Callable[[], Awaitable[None]], count: int) -> list[float]:
    """Milliseconds of `count` calls made one after the other."""
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def gateway_settings(
    work: Path, database_url: str | None, token: str, pools: list[tuple[str, str]]
) -> Settings:
    return Settings(
        env="test",
        pool_token=token,  # the gateway derives each bot's API password from it
        database_url=database_url or f"sqlite+aiosqlite:///{work / 'gateway.sqlite3'}",
        jwt_secret="bench-secret-" + "x" * 32,
        bcrypt_rounds=4,
        rate_limit_default="1000000/60",
        rate_limit_auth="1000/60",
        reconcile_interval=0,
        trade_monitor_interval=0,
        pool_health_interval=0,
        snapshot_interval=0,  # measure P1 alone
        pools=tuple(f"{pool_id}={url}" for pool_id, url in pools),
    )


async def bot_cpu(pids: list[int], seconds: float) -> float:
    """CPU the bots used over `seconds`, in % of one core (user + system, all their threads)."""
    processes = [psutil.Process(pid) for pid in pids]
    before = [sum(p.cpu_times()[:2]) for p in processes]
    await asyncio.sleep(seconds)
    after = [sum(p.cpu_times()[:2]) for p in processes]
    return float(sum(after) - sum(before)) / seconds * 100


async def with_streams(
    client: TestClient[Any, Any], token: str, count: int, during: Awaitable[float]
) -> tuple[float, int]:
    """Run `during` with `count` SSE clients open; its result and the events they received."""
    stats = StreamStats()

    async def stream() -> None:
        async with client.get(f"/api/stream?token={token}") as response:
            assert response.status == 200
            await sse.count(response, stats)

    tasks = [asyncio.create_task(stream()) for _ in range(count)]
    await asyncio.sleep(2)  # connected, first batch served
    try:
        return await during, stats.portfolio
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def measure(
    placed: list[tuple[str, dict[str, Any]]],
    pools: list[tuple[str, str]],
    work: Path,
    options: argparse.Namespace,
    token: str,
) -> dict[str, Any]:
    settings = gateway_settings(work, options.database_url, token, pools)
    client: TestClient[Any, Any] = TestClient(TestServer(create_app(settings)))
    # The same gateway on the same database, reading the user and the bot on every request.
    rereading: TestClient[Any, Any] = TestClient(
        TestServer(create_app(settings.model_copy(update={"recent_read_ttl": 0.0})))
    )
    await client.start_server()
    await rereading.start_server()
    views = [view for _, view in placed]
    requests = options.requests
    try:
        body = {"username": "bench", "email": "bench@example.com", "password": PASSWORD}
        assert (await client.post("/api/auth/register", json=body)).status == 201
        login = await client.post("/api/auth/login", json=body)
        answer = await login.json()
        user_id, jwt = answer["data"]["user"]["id"], answer["token"]
        auth = {"Authorization": f"Bearer {jwt}"}
        services = client.app[SERVICES]

        async def register(bots: list[tuple[str, dict[str, Any]]]) -> None:
            for pool_id, view in bots:
                await services.bot_store.create(
                    id=view["bot_id"], user_id=user_id, pool_id=pool_id,
                    strategy="SafeDefaultStrategy", exchange="kraken", stake_currency="USDT",
                    stake_amount="unlimited", max_open_trades=3, timeframe="1h", pairs=[PAIR],
                    dry_run=True, wallet_cents=100_000, desired_state="running", api_url=None,
                    api_username=None, api_port=None,
                )  # fmt: skip
                await services.bot_store.record_seen(view["bot_id"], view)

        def portfolio(bots: int) -> Callable[[], Awaitable[None]]:
            async def call() -> None:
                response = await client.get("/api/freqtrade/portfolio", headers=auth)
                data = await response.json()
                assert response.status == 200 and data["activeBots"] == bots, data

            return call

        small = min(options.small, len(placed))
        await register(placed[:small])
        await timed(portfolio(small), 2)
        from_summaries_small = await timed(portfolio(small), requests)
        await register(placed[small:])
        await timed(portfolio(len(views)), 2)
        from_summaries = await timed(portfolio(len(views)), requests)

        published = services.portfolio.source
        live = BotApiSource(
            services.bot_api, timeout=settings.bot_timeout, concurrency=settings.bot_concurrency
        )
        services.portfolio.source = live
        await timed(portfolio(len(views)), 2)  # logs in to every bot once (tokens cached)
        parallel = await timed(portfolio(len(views)), requests)
        live.concurrency = 1
        sequential = await timed(portfolio(len(views)), requests)
        live.concurrency = settings.bot_concurrency

        pids = [int(view["pid"]) for view in views]
        idle = await bot_cpu(pids, options.window)
        services.portfolio.source = published
        cpu_published, events_published = await with_streams(
            client, jwt, options.sse, bot_cpu(pids, options.window)
        )
        services.portfolio.source = live
        cpu_live, events_live = await with_streams(
            client, jwt, options.sse, bot_cpu(pids, options.window)
        )
        services.portfolio.source = published

        gateways = {"proxy": client, "proxy_rereading": rereading}
        times = await proxy_overhead(gateways, auth, views[0], requests * 5)
    finally:
        await client.close()
        await rereading.close()
    proxied, direct, reread = times["proxy"], times["direct"], times["proxy_rereading"]
    return {
        "bots": len(views),
        "pools": len(pools),
        "small": small,
        "concurrency": settings.bot_concurrency,
        "p1_summaries_small_ms": summary(from_summaries_small),
        "p1_summaries_ms": summary(from_summaries),
        "p1_bots_parallel_ms": summary(parallel),
        "p1_bots_sequential_ms": summary(sequential),
        "ratio_p95_bots_vs_small": percentile(from_summaries, 0.95)
        / percentile(from_summaries_small, 0.95),
        "ratio_p50_parallel_vs_sequential": statistics.median(parallel)
        / statistics.median(sequential),
        "sse_clients": options.sse,
        "window_s": options.window,
        "bot_cpu_idle_pct": idle,
        "bot_cpu_sse_summaries_pct": cpu_published,
        "bot_cpu_sse_bots_pct": cpu_live,
        "sse_events_summaries": events_published,
        "sse_events_bots": events_live,
        "proxy_ms": summary(proxied),
        "direct_ms": summary(direct),
        "proxy_overhead_p50_ms": statistics.median(proxied) - statistics.median(direct),
        "proxy_rereading_ms": summary(reread),
        "proxy_rereading_overhead_p50_ms": statistics.median(reread) - statistics.median(direct),
    }


async def proxy_overhead(
    gateways: dict[str, TestClient[Any, Any]],
    auth: dict[str, str],
    view: dict[str, Any],
    count: int,
) -> dict[str, list[float]]:
    """`/balance` straight from the bot and through each gateway, interleaved call by call."""
    api = view["api"]
    basic = {"Authorization": aiohttp.encode_basic_auth(api["username"], api["password"])}
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{api['url']}/api/v1/token/login", headers=basic) as response:
            token = (await response.json())["access_token"]
        bearer = {"Authorization": f"Bearer {token}"}

        async def straight() -> None:
            async with session.get(f"{api['url']}/api/v1/balance", headers=bearer) as response:
                assert response.status == 200
                await response.read()

        def through(client: TestClient[Any, Any]) -> Callable[[], Awaitable[None]]:
            async def call() -> None:
                path = f"/api/freqtrade/proxy/{view['bot_id']}/api/v1/balance"
                response = await client.get(path, headers=auth)
                assert response.status == 200
                await response.read()

            return call

        calls = {"direct": straight} | {name: through(c) for name, c in gateways.items()}
        for call in calls.values():
            await timed(call, 5)
        samples: dict[str, list[float]] = {name: [] for name in calls}
        for _ in range(count):  # interleaved, so drift in the bot's load hits all alike
            for name, call in calls.items():
                samples[name] += await timed(call, 1)
    return samples


def summary(samples: list[float]) -> dict[str, float]:
    return {"p50": statistics.median(samples), "p95": percentile(samples, 0.95)}


async def bench(options: argparse.Namespace) -> dict[str, Any]:
    token = secrets.token_hex(16)
    bots, pools = options.bots, options.pools
    with tempfile.TemporaryDirectory(prefix="portfolio-bench-") as tmp:
        work = Path(tmp)
        sandbox_process, sandbox = await start_sandbox(work)
        processes = [sandbox_process]
        try:
            ids = [f"bench-bot-{i}" for i in range(bots)]
            shares = [ids[i::pools] for i in range(pools)]
            urls = []
            for index, share in enumerate(shares):
                process, url = start_pool(index, len(share) + 1, sandbox, work, token)
                processes.append(process)
                urls.append((f"bench-{index}", url))
            started = time.monotonic()
            filled = await asyncio.gather(
                *(
                    fill_pool(url, token, share)
                    for (_, url), share in zip(urls, shares, strict=True)
                )
            )
            print(f"{bots} bots running in {pools} pools after {time.monotonic() - started:.0f}s")
            placed = [
                (pool_id, view)
                for (pool_id, _), views in zip(urls, filled, strict=True)
                for view in views
            ]
            # Round-robin over the pools, so the first `--small` bots are spread like the rest.
            placed.sort(key=lambda entry: int(entry[1]["bot_id"].rsplit("-", 1)[1]))
            return await measure(placed, urls, work, options, token)
        finally:
            for process in reversed(processes):
                stop_process(process, 60)


def row(label: str, figures: dict[str, float], target: str = "") -> str:
    return f"{label:<40}{figures['p50']:>9.1f}{figures['p95']:>9.1f}   {target}"


def report(result: dict[str, Any]) -> None:
    bots, small = result["bots"], result["small"]
    print(f"{'measure':<40}{'p50 ms':>9}{'p95 ms':>9}   target")
    print(row(f"P1, summaries, {small} bots", result["p1_summaries_small_ms"]))
    print(row(f"P1, summaries, {bots} bots", result["p1_summaries_ms"], "p95 <= 50"))
    label = f"P1, every bot, concurrency {result['concurrency']}"
    print(row(label, result["p1_bots_parallel_ms"]))
    print(row("P1, every bot, concurrency 1", result["p1_bots_sequential_ms"]))
    print(row("balance through the proxy", result["proxy_ms"]))
    print(row("balance straight from the bot", result["direct_ms"]))
    print(row("  proxy, recent_read_ttl=0", result["proxy_rereading_ms"]))
    ratio = result["ratio_p95_bots_vs_small"]
    print(f"P1 {bots} bots / P1 {small} bots (p95, summaries): {ratio:.2f}   (target <= 2)")
    print(f"P1 every bot, parallel/sequential (p50): "
          f"{result['ratio_p50_parallel_vs_sequential']:.2f}")  # fmt: skip
    idle = result["bot_cpu_idle_pct"]
    print(f"bots' CPU over {result['window_s']:.0f} s, % of one core (all {bots} bots):")
    print(f"  no dashboard open:                    {idle:6.2f}")
    for source in ("summaries", "bots"):
        cpu = result[f"bot_cpu_sse_{source}_pct"]
        events = result[f"sse_events_{source}"]
        label = f"{result['sse_clients']} SSE clients, source {source}"
        print(f"  {label:<38}{cpu:6.2f}   serving dashboards: {cpu - idle:+6.2f}"
              f"   ({events} portfolio events)")  # fmt: skip
    print(f"proxy overhead (p50 difference): {result['proxy_overhead_p50_ms']:.2f} ms"
          "   (target <= 2)")  # fmt: skip
    print(f"  same, recent_read_ttl=0: {result['proxy_rereading_overhead_p50_ms']:.2f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bots", type=int, default=50, help="bots in total (default 50)")
    parser.add_argument("--pools", type=int, default=5, help="pools they are spread over")
    parser.add_argument("--small", type=int, default=10, help="bots of the small P1 (default 10)")
    parser.add_argument("--sse", type=int, default=20, help="SSE clients open (default 20)")
    parser.add_argument("--window", type=float, default=20.0, help="CPU window in seconds")
    parser.add_argument("--requests", type=int, default=30, help="P1 calls per mode")
    parser.add_argument("--json", action="store_true", help="print machine-readable figures")
    parser.add_argument(
        "--database-url",
        default=None,
        help="gateway database, an EMPTY one (default: a temporary SQLite file); e.g. "
        "postgresql+asyncpg://postgres@127.0.0.1/bench",
    )
    options = parser.parse_args()
    result = asyncio.run(bench(options))
    if options.json:
        print(json.dumps(result, indent=2))
    else:
        report(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())

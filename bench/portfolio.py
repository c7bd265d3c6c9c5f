"""Portfolio latency: P1 over N real bots asked in parallel vs one at a time, and proxy overhead.

Starts a sandbox exchange and `--pools` real pool supervisors holding `--bots` bots in total
(SafeDefaultStrategy on one pair: they answer their API but never trade), builds the gateway
in-process on a temporary SQLite database with one user owning every bot, then measures in
the same run:

* GET /api/freqtrade/portfolio with the default `bot_concurrency` and with 1 (sequential);
* GET /api/v1/balance of one bot straight from the bot, through /api/freqtrade/proxy, and
  through a second gateway on the same database with `recent_read_ttl=0` (interleaved).

    .venv/bin/python bench/portfolio.py [--bots 50] [--pools 5] [--requests 30] [--json]
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
from aiohttp.test_utils import TestClient, TestServer

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.sandbox import start_sandbox  # noqa: E402
from cli.processes import stop_process  # noqa: E402
from gateway.app import create_app  # noqa: E402
from gateway.keys import SERVICES  # noqa: E402
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


async def measure(
    views: list[dict[str, Any]], work: Path, requests: int, database_url: str | None, token: str
) -> dict[str, Any]:
    settings = Settings(
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
    )
    client: TestClient[Any, Any] = TestClient(TestServer(create_app(settings)))
    # The same gateway on the same database, reading the user and the bot on every request.
    rereading: TestClient[Any, Any] = TestClient(
        TestServer(create_app(settings.model_copy(update={"recent_read_ttl": 0.0})))
    )
    await client.start_server()
    await rereading.start_server()
    try:
        body = {"username": "bench", "email": "bench@example.com", "password": PASSWORD}
        assert (await client.post("/api/auth/register", json=body)).status == 201
        login = await client.post("/api/auth/login", json=body)
        answer = await login.json()
        user_id, auth = answer["data"]["user"]["id"], {"Authorization": f"Bearer {answer['token']}"}
        services = client.app[SERVICES]
        for view in views:
            await services.bot_store.create(
                id=view["bot_id"], user_id=user_id, pool_id=None, strategy="SafeDefaultStrategy",
                exchange="kraken", stake_currency="USDT", stake_amount="unlimited",
                max_open_trades=3, timeframe="1h", pairs=[PAIR], dry_run=True,
                wallet_cents=100_000, desired_state="running", api_url=None, api_username=None,
                api_port=None,
            )  # fmt: skip
            await services.bot_store.record_seen(view["bot_id"], view)

        async def portfolio() -> None:
            response = await client.get("/api/freqtrade/portfolio", headers=auth)
            data = await response.json()
            assert response.status == 200 and data["activeBots"] == len(views), data

        await timed(portfolio, 2)  # logs in to every bot once (cached tokens afterwards)
        default = services.portfolio.concurrency
        parallel = await timed(portfolio, requests)
        services.portfolio.concurrency = 1
        sequential = await timed(portfolio, requests)
        services.portfolio.concurrency = default

        gateways = {"proxy": client, "proxy_rereading": rereading}
        times = await proxy_overhead(gateways, auth, views[0], requests * 5)
    finally:
        await client.close()
        await rereading.close()
    proxied, direct, reread = times["proxy"], times["direct"], times["proxy_rereading"]
    return {
        "bots": len(views),
        "concurrency": default,
        "p1_parallel_ms": summary(parallel),
        "p1_sequential_ms": summary(sequential),
        "ratio_p50": statistics.median(parallel) / statistics.median(sequential),
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


async def bench(bots: int, pools: int, requests: int, database_url: str | None) -> dict[str, Any]:
    token = secrets.token_hex(16)
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
                urls.append(url)
            started = time.monotonic()
            filled = await asyncio.gather(
                *(fill_pool(url, token, share) for url, share in zip(urls, shares, strict=True))
            )
            print(f"{bots} bots running in {pools} pools after {time.monotonic() - started:.0f}s")
            views = [v for views in filled for v in views]
            return await measure(views, work, requests, database_url, token)
        finally:
            for process in reversed(processes):
                stop_process(process, 60)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bots", type=int, default=50, help="bots in total (default 50)")
    parser.add_argument("--pools", type=int, default=5, help="pools they are spread over")
    parser.add_argument("--requests", type=int, default=30, help="P1 calls per mode")
    parser.add_argument("--json", action="store_true", help="print machine-readable figures")
    parser.add_argument(
        "--database-url",
        default=None,
        help="gateway database, an EMPTY one (default: a temporary SQLite file); e.g. "
        "postgresql+asyncpg://postgres@127.0.0.1/bench",
    )
    args = parser.parse_args()
    result = asyncio.run(bench(args.bots, args.pools, args.requests, args.database_url))
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    par, seq = result["p1_parallel_ms"], result["p1_sequential_ms"]
    prx, dct = result["proxy_ms"], result["direct_ms"]
    print(f"{'measure':<34}{'p50 ms':>9}{'p95 ms':>9}   target")
    label = f"P1, concurrency {result['concurrency']}"
    print(f"{label:<34}{par['p50']:>9.1f}{par['p95']:>9.1f}   p95 <= 100")
    print(f"{'P1, concurrency 1 (sequential)':<34}{seq['p50']:>9.1f}{seq['p95']:>9.1f}")
    print(f"{'balance through the proxy':<34}{prx['p50']:>9.1f}{prx['p95']:>9.1f}")
    print(f"{'balance straight from the bot':<34}{dct['p50']:>9.1f}{dct['p95']:>9.1f}")
    rer = result["proxy_rereading_ms"]
    print(f"{'  proxy, recent_read_ttl=0':<34}{rer['p50']:>9.1f}{rer['p95']:>9.1f}")
    print(f"ratio parallel/sequential (p50): {result['ratio_p50']:.2f}   (target <= 0.15)")
    print(f"proxy overhead (p50 difference): {result['proxy_overhead_p50_ms']:.2f} ms"
          "   (target <= 2)")  # fmt: skip
    print(f"  same, recent_read_ttl=0: {result['proxy_rereading_overhead_p50_ms']:.2f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark: the extra hop of a bot's API served through its pool's port (`bot_api_route=pool`).

Starts the sandbox and a real pool (`cryptopilot pool run`, route "pool") with one bot, then
sends the same request N times straight to the bot's port and N times through the pool's
`/bots/{id}/api/v1/...`, interleaved (one keep-alive session each), and prints p50/p90/p99
latency of both side by side (`--json` for JSON).

    .venv/bin/python bench/botroute.py --requests 200
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import aiohttp

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.sandbox import start_sandbox  # noqa: E402
from cli.processes import stop_process  # noqa: E402
from runtime.botroute import POOL_TOKEN_HEADER  # noqa: E402
from runtime.rpc.client import PoolClient  # noqa: E402
from tests.fixtures.pools import POOL_TOKEN, running_pool  # noqa: E402

BOT_ID = "route-bench"


@dataclass(frozen=True)
class Latency:
    """Milliseconds of one way to the bot over `requests` calls."""

    requests: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    mean_ms: float


def summarise(samples: list[float]) -> Latency:
    ordered = sorted(samples)
    cuts = statistics.quantiles(ordered, n=100, method="inclusive")
    return Latency(
        requests=len(ordered),
        p50_ms=round(statistics.median(ordered) * 1000, 3),
        p90_ms=round(cuts[89] * 1000, 3),
        p99_ms=round(cuts[98] * 1000, 3),
        mean_ms=round(statistics.fmean(ordered) * 1000, 3),
    )


async def measure(
    direct_url: str, pool_url: str, *, requests: int, path: str = "/api/v1/ping", warmup: int = 10
) -> dict[str, Latency]:
    """Latency of `GET path` on the bot's own URL and through the pool, interleaved."""
    timeout = aiohttp.ClientTimeout(total=10)
    ways = {"direct": (direct_url, {}), "pool": (pool_url, {POOL_TOKEN_HEADER: POOL_TOKEN})}
    samples: dict[str, list[float]] = {name: [] for name in ways}
    sessions = {name: aiohttp.ClientSession(timeout=timeout) for name in ways}
    try:
        for i in range(warmup + requests):
            for name, (base, headers) in ways.items():
                started = time.perf_counter()
                async with sessions[name].get(base + path, headers=headers) as response:
                    await response.read()
                    if response.status != 200:
                        raise RuntimeError(f"{name} {path} answered {response.status}")
                if i >= warmup:
                    samples[name].append(time.perf_counter() - started)
    finally:
        for session in sessions.values():
            await session.close()
    return {name: summarise(values) for name, values in samples.items()}


async def run(requests: int, path: str) -> dict[str, Latency]:
    with tempfile.TemporaryDirectory(prefix="bench-botroute-") as tmp:
        work = Path(tmp)
        sandbox, sandbox_url = await start_sandbox(work)
        try:
            env = {"CRYPTOPILOT_POOL_BOT_API_ROUTE": "pool"}
            data = work / "data"
            with running_pool(data, sandbox_url, pool_id="bench", capacity=1, env=env) as running:
                async with PoolClient(running.url, POOL_TOKEN, timeout=120) as pool:
                    await pool.add_bot(
                        {
                            "bot_id": BOT_ID,
                            "owner": "bench",
                            "strategy": "SandboxScalp1m",
                            "pairs": ["BTC/USDT", "ETH/USDT"],
                            "stake_currency": "USDT",
                            "dry_run_wallet": 1000,
                        }
                    )
                    bot = await pool.wait_for_state(BOT_ID, "running", 180, 0.5)
                direct = f"http://127.0.0.1:{bot['api_port']}"
                return await measure(direct, bot["api"]["url"], requests=requests, path=path)
        finally:
            stop_process(sandbox, 15)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="calls each way (200)")
    parser.add_argument("--path", default="/api/v1/ping", help="bot API path (unauthenticated)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args()
    found = asyncio.run(run(args.requests, args.path))
    if args.json:
        print(json.dumps({name: asdict(latency) for name, latency in found.items()}, indent=2))
        return 0
    direct, pool = found["direct"], found["pool"]
    print(f"GET {args.path}, {args.requests} calls each way, interleaved, keep-alive")
    print(f"{'':8}{'direct':>10}{'via pool':>10}{'extra':>10}")
    for field in ("p50_ms", "p90_ms", "p99_ms", "mean_ms"):
        a, b = getattr(direct, field), getattr(pool, field)
        print(f"{field:8}{a:>10.3f}{b:>10.3f}{b - a:>+10.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

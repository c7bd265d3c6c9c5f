"""Load test: `--users` simulated dashboards (bench/load/locustfile.py) against the real stack.

Starts the sandbox exchange, one pool supervisor and the gateway (`cryptopilot gateway` on a
temporary SQLite file) as subprocesses, registers `--users` accounts through the API and
provisions `--bots` real paper bots (SandboxScalp1m, trading on the sandbox) through B2 for
the first of them, one each (the others have a wallet and no bot, so their dashboards ask
no bot). Then runs locust headless for `--duration` seconds, ramping up `--spawn-rate`
users a second, while sampling the gateway's (and locust's own) CPU and RSS with psutil
every second. Prints one row per endpoint (requests, req/s, p50, p99, errors) and the totals,
or all of it as JSON with `--json`.

Every simulated user logs in from 127.0.0.1, so the per-IP limit on the auth routes
(`CRYPTOPILOT_RATE_LIMIT_AUTH`) is raised for the run; every other limit is per user and
stays at its default. Passwords are hashed with `--bcrypt-rounds` (default 4, as the other
benchmarks; production uses 12), which makes A1 cheaper than in production.

    .venv/bin/python bench/load.py --users 200 --spawn-rate 10 --duration 120 [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import aiohttp
import psutil

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.gateway_auth import wait_ready  # noqa: E402
from bench.portfolio import start_pool  # noqa: E402
from bench.sandbox import start_sandbox  # noqa: E402
from cli.processes import stop_process  # noqa: E402
from runtime.rpc.client import PoolClient  # noqa: E402
from tests.helpers import async_wait_until, free_port  # noqa: E402

LOCUSTFILE = REPO / "bench" / "load" / "locustfile.py"
PASSWORD = "load-password-1"  # noqa: S105 - throw-away local accounts
# Well away from the other benchmarks' pool ports (bench/portfolio.py uses 23000 + 200 a pool).
POOL_INDEX = 9
BOT_BODY: dict[str, Any] = {
    "strategy": "SandboxScalp1m",
    "tradingPairs": ["BTC/USDT", "ETH/USDT"],
    "stake_currency": "USDT",
    "initialBalance": 100,
    "timeframe": "1m",
    "exchange": "binance",
    "stake_amount": 20,
    "max_open_trades": 2,
    "dry_run": True,
}


def email(index: int) -> str:
    return f"load-{index}@example.com"


async def create_accounts(gateway: str, users: int, bots: int) -> list[dict[str, str]]:
    """Register `users` accounts (A2), provision one bot each for the first `bots` (B2)."""
    accounts = [{"email": email(i), "password": PASSWORD} for i in range(users)]
    async with aiohttp.ClientSession(gateway) as http:
        gate = asyncio.Semaphore(8)

        async def register(index: int) -> None:
            body = {"username": f"load{index}", **accounts[index]}
            async with gate, http.post("/api/auth/register", json=body) as response:
                if response.status != 201:
                    raise RuntimeError(f"register {index}: {await response.text()}")

        await asyncio.gather(*(register(i) for i in range(users)))
        for index in range(bots):
            async with http.post("/api/auth/login", json=accounts[index]) as response:
                auth = {"Authorization": f"Bearer {(await response.json())['token']}"}
            body = {**BOT_BODY, "instanceId": f"load-bot-{index}"}
            async with http.post("/api/freqtrade/provision", json=body, headers=auth) as answer:
                if answer.status != 201:
                    raise RuntimeError(f"provisioning bot {index}: {await answer.text()}")

            async def running(headers: dict[str, str] = auth) -> bool:
                async with http.get("/api/freqtrade/bots", headers=headers) as response:
                    listed = (await response.json())["bots"]
                return all(bot["containerStatus"] == "running" for bot in listed)

            await async_wait_until(running, timeout=180, interval=0.5, what=f"bot {index} running")
    return accounts


class Sampler:
    """CPU (% of one core) and RSS of some processes, sampled every `interval` s in a thread."""

    def __init__(self, processes: dict[str, int], interval: float = 1.0) -> None:
        self._processes = {name: psutil.Process(pid) for name, pid in processes.items()}
        self._interval = interval
        self._stop = threading.Event()
        self.samples: dict[str, list[tuple[float, int]]] = {n: [] for n in processes}
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Sampler:
        for process in self._processes.values():
            process.cpu_percent(None)  # the first call only starts the measurement
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            for name, process in self._processes.items():
                try:
                    if not process.is_running() or process.status() == psutil.STATUS_ZOMBIE:
                        continue
                    self.samples[name].append(
                        (process.cpu_percent(None), process.memory_info().rss)
                    )
                except psutil.Error:
                    continue

    def summary(self) -> dict[str, dict[str, float]]:
        mib = 1024 * 1024
        result = {}
        for name, samples in self.samples.items():
            if not samples:
                continue
            cpu, rss = [s[0] for s in samples], [s[1] for s in samples]
            result[name] = {
                "samples": len(samples),
                "cpu_mean_percent": round(statistics.mean(cpu), 1),
                "cpu_max_percent": round(max(cpu), 1),
                "rss_start_mib": round(rss[0] / mib, 1),
                "rss_max_mib": round(max(rss) / mib, 1),
                "rss_end_mib": round(rss[-1] / mib, 1),
            }
        return result


def run_locust(
    gateway: str, accounts_file: Path, args: argparse.Namespace, work: Path, gateway_pid: int
) -> tuple[dict[str, Any], dict[str, dict[str, float]]]:
    """Run locust headless as a subprocess; its per-endpoint figures and the samples."""
    prefix = work / "locust"
    command = [
        sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless",
        "--users", str(args.users), "--spawn-rate", str(args.spawn_rate),
        "--run-time", f"{args.duration}s", "--stop-timeout", "10", "--host", gateway,
        "--csv", str(prefix), "--json-file", str(prefix), "--only-summary", "--loglevel", "WARNING",
        "--exit-code-on-error", "0",
    ]  # fmt: skip
    env = {
        **os.environ,
        "CRYPTOPILOT_LOAD_USERS": str(accounts_file),
        "CRYPTOPILOT_LOAD_REFRESH_AFTER": str(args.refresh_after),
        "CRYPTOPILOT_LOAD_REOPEN_AFTER": str(args.reopen_after),
    }
    with (work / "locust.log").open("wb") as log:
        locust = subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            with Sampler({"gateway": gateway_pid, "locust": locust.pid}) as sampler:
                code = locust.wait(args.duration + 120)
        finally:
            stop_process(locust, 10)
    if code != 0:
        tail = (work / "locust.log").read_text(errors="replace")[-3000:]
        raise RuntimeError(f"locust exited with {code}:\n{tail}")
    return read_stats(prefix, args.duration), sampler.summary()


def percentile(histogram: dict[str, int], q: float) -> float:
    """The `q` quantile of locust's response-time histogram (ms, rounded as locust does)."""
    total = sum(histogram.values())
    if not total:
        return 0.0
    seen = 0
    for value in sorted(histogram, key=float):
        seen += histogram[value]
        if seen >= q * total:
            return float(value)
    return float(max(histogram, key=float))


def row(name: str, entries: list[dict[str, Any]], duration: float) -> dict[str, Any]:
    """One table row from locust's stats entries (several for a total)."""
    histogram: dict[str, int] = {}
    for entry in entries:
        for value, count in entry["response_times"].items():
            histogram[value] = histogram.get(value, 0) + count
    requests = sum(int(e["num_requests"]) for e in entries)
    errors = sum(int(e["num_failures"]) for e in entries)
    return {
        "name": name,
        "requests": requests,
        "rps": round(requests / duration, 2),
        "p50_ms": percentile(histogram, 0.50),
        "p99_ms": percentile(histogram, 0.99),
        "errors": errors,
        "error_rate": errors / requests if requests else 0.0,
    }


def read_stats(prefix: Path, duration: float) -> dict[str, Any]:
    """Locust's JSON stats and failures CSV: a row per endpoint, totals and failure reasons.

    SSE entries (events, whose "latency" is the gap between events, lost and re-opened
    streams) are rows of their own and stay out of the HTTP totals; the stream's opening is
    an HTTP request and counts."""
    entries: list[dict[str, Any]] = json.loads(Path(f"{prefix}.json").read_text())
    entries.sort(key=lambda e: str(e["name"]))
    http = [e for e in entries if e["method"] != "SSE"]
    sse = [e for e in entries if e["method"] == "SSE"]

    def count(start: str) -> int:
        return sum(int(e["num_requests"]) for e in sse if str(e["name"]).startswith(start))

    with Path(f"{prefix}_failures.csv").open() as handle:
        failures = [
            {"name": f["Name"], "error": f["Error"], "count": int(f["Occurrences"])}
            for f in csv.DictReader(handle)
        ]
    return {
        "endpoints": [row(str(e["name"]), [e], duration) for e in entries],
        "totals": row("HTTP total", http, duration),
        "sse": {
            "events": count("X1 event"),
            "lost": count("X1 stream lost"),
            "reopened": count("X1 stream re-opened"),
            "errors": sum(int(e["num_failures"]) for e in sse),
        },
        "failures": failures,
    }


async def start_stack(
    work: Path, args: argparse.Namespace, processes: list[subprocess.Popen[bytes]]
) -> tuple[str, int]:
    """Sandbox, one pool, the gateway; returns the gateway's URL and pid once all are up."""
    token = secrets.token_hex(16)
    sandbox_process, sandbox = await start_sandbox(work)
    processes.append(sandbox_process)
    pool, pool_url = start_pool(POOL_INDEX, args.bots + 1, sandbox, work, token)
    processes.append(pool)
    async with PoolClient(pool_url, token, timeout=10) as client:

        async def up() -> bool:
            return bool((await client.health())["success"])

        await async_wait_until(up, timeout=120, what="pool up")
    port = free_port()
    env = {
        **os.environ,
        "CRYPTOPILOT_ENV": "demo",
        "CRYPTOPILOT_DATABASE_URL": f"sqlite+aiosqlite:///{work / 'gateway.sqlite3'}",
        "CRYPTOPILOT_POOLS": f"bench-{POOL_INDEX}={pool_url}",
        "CRYPTOPILOT_POOL_TOKEN": token,
        "CRYPTOPILOT_MARKET_URL": sandbox,
        "CRYPTOPILOT_LOG_LEVEL": "WARNING",
        "CRYPTOPILOT_BCRYPT_ROUNDS": str(args.bcrypt_rounds),
        "CRYPTOPILOT_RATE_LIMIT_AUTH": "1000000/60",  # every simulated user has the same IP
    }
    command = [sys.executable, "-m", "cli.main", "gateway", "--port", str(port)]
    with (work / "gateway.log").open("wb") as log:
        gateway = subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    processes.append(gateway)
    url = f"http://127.0.0.1:{port}"
    await wait_ready(url, gateway, within=60)
    return url, gateway.pid


def bench(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="load-bench-") as tmp:
        work = Path(tmp)
        processes: list[subprocess.Popen[bytes]] = []
        try:
            gateway, gateway_pid = asyncio.run(start_stack(work, args, processes))
            started = time.monotonic()
            accounts = asyncio.run(create_accounts(gateway, args.users, args.bots))
            print(
                f"{args.users} users and {args.bots} running bots after "
                f"{time.monotonic() - started:.0f}s; locust for {args.duration}s",
                file=sys.stderr,
                flush=True,
            )
            accounts_file = work / "accounts.json"
            accounts_file.write_text(json.dumps(accounts))
            stats, resources = run_locust(gateway, accounts_file, args, work, gateway_pid)
        finally:
            for process in reversed(processes):
                stop_process(process, 60)
            if args.keep_logs:
                keep = Path(args.keep_logs)
                keep.mkdir(parents=True, exist_ok=True)
                for log in work.glob("*.log"):
                    shutil.copy(log, keep / log.name)
    names = (
        "users",
        "spawn_rate",
        "duration",
        "bots",
        "bcrypt_rounds",
        "refresh_after",
        "reopen_after",
    )
    return {"config": {k: getattr(args, k) for k in names}, **stats, **resources}


def print_table(result: dict[str, Any]) -> None:
    print(f"{'endpoint':<48}{'requests':>9}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}")
    for line in [*result["endpoints"], result["totals"]]:
        print(
            f"{line['name']:<48}{line['requests']:>9}{line['rps']:>8.2f}"
            f"{line['p50_ms']:>9.0f}{line['p99_ms']:>9.0f}{line['errors']:>8}"
        )
    sse = result["sse"]
    print(
        f"HTTP error rate: {result['totals']['error_rate']:.4%}; SSE: {sse['events']} events, "
        f"{sse['lost']} streams lost, {sse['reopened']} re-opened, {sse['errors']} errors"
    )
    for name in ("gateway", "locust"):
        if figures := result.get(name):
            print(
                f"{name} process: CPU mean {figures['cpu_mean_percent']:.0f} % "
                f"(max {figures['cpu_max_percent']:.0f} %) of one core, RSS "
                f"{figures['rss_start_mib']:.0f} -> {figures['rss_end_mib']:.0f} MiB "
                f"(max {figures['rss_max_mib']:.0f})"
            )
    for failure in result["failures"][:10]:
        print(f"  failed {failure['count']}x {failure['name']}: {failure['error'][:150]}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=200, help="simulated dashboards (200)")
    parser.add_argument("--spawn-rate", type=float, default=10, help="users started a second")
    parser.add_argument("--duration", type=int, default=120, help="seconds locust runs (120)")
    parser.add_argument("--bots", type=int, default=3, help="real bots, one user each (3)")
    parser.add_argument("--bcrypt-rounds", type=int, default=4, help="password hash cost (4)")
    parser.add_argument(
        "--refresh-after",
        type=float,
        default=13 * 60,
        help="seconds from a login or refresh to the client's next refresh (frontend: 780)",
    )
    parser.add_argument(
        "--reopen-after",
        type=float,
        default=13 * 60,
        help="seconds from a stream's opening to the client re-opening it (frontend: 780)",
    )
    parser.add_argument("--keep-logs", default="", help="copy the processes' logs to this folder")
    parser.add_argument("--json", action="store_true", help="print machine-readable figures")
    args = parser.parse_args()
    if not 0 <= args.bots <= args.users:
        parser.error("--bots must be between 0 and --users")
    result = bench(args)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print_table(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark: authenticated `GET /api/auth/verify-token` throughput and latency.

Starts the real gateway (`cryptopilot gateway`, SQLite in a temp dir) on a free port as a
subprocess, registers and logs in one user, then drives N concurrent aiohttp clients
through a fixed number of requests. Prints req/s and p50/p99 latency (`--json` for JSON).

    .venv/bin/python bench/gateway_auth.py --requests 5000 --concurrency 50
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def wait_ready(base: str, process: subprocess.Popen[bytes], within: float) -> None:
    deadline = time.monotonic() + within
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"gateway exited with {process.returncode}")
            try:
                async with session.get(f"{base}/api/ready") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise TimeoutError("gateway did not become ready")


async def login(base: str) -> str:
    user = {"username": "bench", "email": "bench@example.com", "password": "bench-password"}
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{base}/api/auth/register", json=user) as response:
            assert response.status == 201, await response.text()
        credentials = {"email": user["email"], "password": user["password"]}
        async with session.post(f"{base}/api/auth/login", json=credentials) as response:
            assert response.status == 200, await response.text()
            token: str = (await response.json())["token"]
    return token


async def drive(base: str, token: str, requests: int, concurrency: int) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0
    remaining = requests
    headers = {"Authorization": f"Bearer {token}"}
    url = f"{base}/api/auth/verify-token"

    async def client() -> None:
        nonlocal remaining, errors
        async with aiohttp.ClientSession(headers=headers) as session:
            while remaining > 0:
                remaining -= 1
                started = time.perf_counter()
                async with session.get(url) as response:
                    await response.read()
                    if response.status != 200:
                        errors += 1
                latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    cut = statistics.quantiles(latencies, n=100)
    return {
        "requests": len(latencies),
        "concurrency": concurrency,
        "errors": errors,
        "seconds": round(elapsed, 3),
        "req_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": round(cut[49] * 1000, 2),
        "p99_ms": round(cut[98] * 1000, 2),
    }


async def measure(
    base: str, process: subprocess.Popen[bytes], args: argparse.Namespace
) -> dict[str, float]:
    await wait_ready(base, process, within=30)
    token = await login(base)
    await drive(base, token, min(200, args.requests), args.concurrency)  # warm-up
    return await drive(base, token, args.requests, args.concurrency)


def run(args: argparse.Namespace) -> dict[str, float]:
    """Start the gateway as a subprocess, measure it, stop it."""
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "CRYPTOPILOT_DATABASE_URL": f"sqlite+aiosqlite:///{tmp}/bench.sqlite3",
            "CRYPTOPILOT_ENV": "demo",
            "CRYPTOPILOT_LOG_LEVEL": "WARNING",
            "CRYPTOPILOT_BCRYPT_ROUNDS": "4",
        }
        command = [sys.executable, "-m", "cli.main"]
        command += ["gateway", "--host", "127.0.0.1", "--port", str(port)]
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL)
        try:
            return asyncio.run(measure(f"http://127.0.0.1:{port}", process, args))
        finally:
            process.terminate()
            process.wait(timeout=10)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    result = run(args)
    if args.json:
        print(json.dumps(result))
    else:
        print(
            f"{result['requests']} requests, {result['concurrency']} clients: "
            f"{result['req_per_s']} req/s, p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms, "
            f"{result['errors']} errors"
        )
    return 0 if result["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

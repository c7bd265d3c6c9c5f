"""`cryptopilot demo`: sandbox exchange, one pool with three bots, and the gateway, until Ctrl-C.

A small orchestration of subprocesses: each part runs exactly as it would on its own (the
gateway on an embedded SQLite file in the demo folder, with a demo user), and Ctrl-C or
SIGTERM stops them all gracefully.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from cli.processes import stop_process

logger = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[1]

DEMO_EMAIL = "demo@crypto-pilot.dev"
DEMO_PASSWORD = "demo-password"  # noqa: S105 - a local demo account, printed for the user

DEMO_BOTS: list[dict[str, Any]] = [
    {
        "bot_id": "demo-scalp",
        "owner": "alice",
        "strategy": "SandboxScalp1m",
        "pairs": ["BTC/USDT", "ETH/USDT", "SOL/USDT"],
        "stake_currency": "USDT",
        "dry_run_wallet": 1000,
    },
    {
        "bot_id": "demo-emarsi",
        "owner": "bob",
        "strategy": "EmaRsiStrategy",
        "pairs": ["BTC/USD", "ETH/USD"],
        "stake_currency": "USD",
        "dry_run_wallet": 5000,
    },
    {
        "bot_id": "demo-scalp-eur",
        "owner": "carol",
        "strategy": "SandboxScalp1m",
        "pairs": ["BTC/EUR", "XRP/EUR"],
        "stake_currency": "EUR",
        "dry_run_wallet": 2500,
    },
]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `demo` sub-command."""
    parser = subparsers.add_parser(
        "demo",
        help="run the sandbox, one pool with three bots and the gateway until Ctrl-C",
        description="Start the sandbox exchange and one pool supervisor, add three bots with "
        "different strategies, start the API gateway with a demo user, print how to reach "
        "each bot's API and how to log in; Ctrl-C stops everything.",
    )
    parser.add_argument("--gateway-port", type=int, default=18000, help="default 18000")
    parser.add_argument("--sandbox-port", type=int, default=18070, help="default 18070")
    parser.add_argument("--control-port", type=int, default=18080, help="default 18080")
    parser.add_argument("--api-port-min", type=int, default=18100, help="default 18100")
    parser.add_argument("--data-dir", default=None, help="pool data (default: a temp folder)")
    parser.set_defaults(func=run)


def _answers(url: str, token: str | None = None) -> bool:
    request = urllib.request.Request(url)  # noqa: S310 (local http URL)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=2) as response:  # noqa: S310
            return bool(response.status == 200)
    except OSError:
        return False


def _wait(what: str, check: Any, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} not ready within {timeout}s")
        time.sleep(0.2)


def _stop_all(processes: list[subprocess.Popen[bytes]]) -> None:
    """SIGTERM in reverse start order, wait, then SIGKILL what is left."""
    for process in reversed(processes):
        stop_process(process)


async def _add_bots(url: str, token: str) -> list[dict[str, Any]]:
    from runtime.rpc.client import PoolClient

    async with PoolClient(url, token) as pool:
        for spec in DEMO_BOTS:
            await pool.add_bot(spec)
        return [await pool.wait_for_state(s["bot_id"], "running", 120) for s in DEMO_BOTS]


def _print_bots(bots: list[dict[str, Any]], control: str, token: str) -> None:
    print("\nCrypto-Pilot demo is running. Bots (FreqTrade REST API, dry-run):\n")
    for bot in bots:
        api = bot["api"]
        print(
            f"  {bot['bot_id']:<15} {bot['spec']['strategy']:<15} {api['url']}  "
            f"user={api['username']} password={api['password']}"
        )
    first = bots[0]["api"]
    print("\nWatch a bot:")
    print(f"  curl -s -u {first['username']}:{first['password']} {first['url']}/api/v1/status")
    print(
        f'  freqtrade-client --config <(echo \'{{"api_server": {{"listen_ip_address": '
        f'"127.0.0.1", "listen_port": {first["url"].rsplit(":", 1)[1]}, "username": '
        f'"{first["username"]}", "password": "{first["password"]}"}}}}\') balance'
    )
    print("Manage the pool:")
    print(f"  CRYPTOPILOT_POOL_TOKEN={token} cryptopilot pool list --url {control}")
    print(f"  curl -s -H 'Authorization: Bearer {token}' {control}/health")


def _print_gateway(gateway: str) -> None:
    login = f'{{"email": "{DEMO_EMAIL}", "password": "{DEMO_PASSWORD}"}}'
    print(f"\nAPI gateway: {gateway}  (demo user {DEMO_EMAIL} / {DEMO_PASSWORD})")
    extract = "python3 -c 'import json,sys; print(json.load(sys.stdin)[\"token\"])'"
    print(
        f"  TOKEN=$(curl -s -H 'Content-Type: application/json' -d '{login}' "
        f"{gateway}/api/auth/login | {extract})"
    )
    print(f'  curl -s -H "Authorization: Bearer $TOKEN" {gateway}/api/auth/verify-token')
    print(f"  curl -s {gateway}/api/openapi.json   # every route")
    print("\nPress Ctrl-C to stop everything.\n", flush=True)


def run(args: argparse.Namespace) -> int:
    """Start everything, print how to watch it, stop cleanly on Ctrl-C or SIGTERM."""
    from cli.logsetup import configure_logging

    configure_logging("INFO")
    token = secrets.token_urlsafe(24)
    data_dir = args.data_dir or tempfile.mkdtemp(prefix="cryptopilot-demo-")
    sandbox_url = f"http://127.0.0.1:{args.sandbox_port}"
    control = f"http://127.0.0.1:{args.control_port}"
    env = {**os.environ, "CRYPTOPILOT_POOL_TOKEN": token}
    cli = [sys.executable, "-m", "cli.main"]
    processes: list[subprocess.Popen[bytes]] = []
    stopping = False

    def on_signal(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    try:
        sandbox = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
            [*cli, "sandbox", "--port", str(args.sandbox_port)], cwd=REPO_ROOT, env=env
        )
        processes.append(sandbox)
        _wait("sandbox", lambda: _answers(f"{sandbox_url}/api/v3/ping"), sandbox, 30)
        pool = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
            [
                *cli,
                "pool",
                "run",
                "--pool-id",
                "demo",
                "--data-dir",
                data_dir,
                "--control-port",
                str(args.control_port),
                "--exchange-url",
                sandbox_url,
                "--api-port-min",
                str(args.api_port_min),
                "--api-port-max",
                str(args.api_port_min + 99),
            ],
            cwd=REPO_ROOT,
            env=env,
        )
        processes.append(pool)
        _wait("pool", lambda: _answers(f"{control}/health", token), pool, 60)
        bots = asyncio.run(_add_bots(control, token))
        gateway_env = {
            **env,
            "CRYPTOPILOT_ENV": "demo",
            "CRYPTOPILOT_DATABASE_URL": f"sqlite+aiosqlite:///{data_dir}/gateway.sqlite3",
        }
        subprocess.run(  # noqa: S603 (our own interpreter and arguments)
            [*cli, "user", "create", "--email", DEMO_EMAIL, "--password", DEMO_PASSWORD],
            cwd=REPO_ROOT,
            env=gateway_env,
            check=True,
        )
        gateway = f"http://127.0.0.1:{args.gateway_port}"
        gateway_process = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
            [*cli, "gateway", "--port", str(args.gateway_port)], cwd=REPO_ROOT, env=gateway_env
        )
        processes.append(gateway_process)
        _wait("gateway", lambda: _answers(f"{gateway}/api/ready"), gateway_process, 60)
        _print_bots(bots, control, token)
        _print_gateway(gateway)
        while all(p.poll() is None for p in processes):
            time.sleep(0.5)
        logger.error("a demo process exited on its own; stopping the rest")
        return 1
    except KeyboardInterrupt:
        print("\nstopping the demo ...", flush=True)
        return 0
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        _stop_all(processes)
        print(f"demo stopped (pool data kept in {data_dir})", flush=True)

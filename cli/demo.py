"""`cryptopilot demo`: sandbox exchange, one pool with three bots, and the gateway, until Ctrl-C.

A small orchestration of subprocesses: each part runs exactly as it would on its own (the
gateway on an embedded SQLite file in the demo folder, with a demo user), and Ctrl-C or
SIGTERM stops them all gracefully. The terminal stays quiet: each process writes its log
(access lines included) to `<demo folder>/logs/<name>.log`, each bot to
`<demo folder>/bots/<bot>/logs/freqtrade.log`; the demo prints where they are.
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
from typing import IO, Any

from cli import firebase_emulator
from cli.processes import stop_process

logger = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[1]
WEB_DIST = REPO_ROOT / "web" / "dist"

# Each child in its own process group: Ctrl-C reaches the demo alone, which then stops the
# gateway, the pool and the sandbox in that order (a terminal's SIGINT would hit all at once).
OWN_GROUP = 0
# Lines of a process's log shown when it stops on its own.
TAIL_LINES = 20
DEMO_EMAIL = "demo@crypto-pilot.dev"
DEMO_PASSWORD = "demo-password"  # noqa: S105 - a local demo account, printed for the user

# Provisioned through the gateway as the demo user (contract B2 bodies): 600 of its 1000 USD.
DEMO_BOTS: list[dict[str, Any]] = [
    {
        "instanceId": "demo-scalp",
        "strategy": "SandboxScalp1m",
        "tradingPairs": ["BTC/USDT", "ETH/USDT", "SOL/USDT"],
        "stake_currency": "USDT",
        "initialBalance": 300,
        "timeframe": "1m",
    },
    {
        "instanceId": "demo-emarsi",
        "strategy": "EmaRsiStrategy",
        "tradingPairs": ["BTC/USD", "ETH/USD"],
        "stake_currency": "USD",
        "initialBalance": 200,
        "timeframe": "15m",
    },
    {
        "instanceId": "demo-scalp-eur",
        "strategy": "SandboxScalp1m",
        "tradingPairs": ["BTC/EUR", "XRP/EUR"],
        "stake_currency": "EUR",
        "initialBalance": 100,
        "timeframe": "1m",
    },
]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `demo` sub-command."""
    parser = subparsers.add_parser(
        "demo",
        help="run the sandbox, one pool, the gateway and a demo user's three bots until Ctrl-C",
        description="Start the sandbox exchange, one pool supervisor and the API gateway (on "
        "SQLite), create a demo user, provision three paper bots with different strategies "
        "through the gateway's API, print how to log in and call the API; Ctrl-C stops "
        "everything.",
    )
    parser.add_argument("--gateway-port", type=int, default=18000, help="default 18000")
    parser.add_argument("--sandbox-port", type=int, default=18070, help="default 18070")
    parser.add_argument("--control-port", type=int, default=18080, help="default 18080")
    parser.add_argument("--api-port-min", type=int, default=18100, help="default 18100")
    parser.add_argument(
        "--firebase-port",
        type=int,
        default=18099,
        help="the Firebase Auth emulator for Google sign-in (default 18099; its hub and "
        "logging use the two ports below it); 0: no emulator",
    )
    parser.add_argument("--data-dir", default=None, help="pool data (default: a temp folder)")
    parser.add_argument(
        "--web-dir",
        default=str(WEB_DIST),
        help="built web app the gateway serves at / (default web/dist, built by make demo)",
    )
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


class _Logs:
    """One log file per demo process in `<folder>/logs/`, opened for appending."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder / "logs"
        self.folder.mkdir(parents=True, exist_ok=True)
        self._files: list[IO[bytes]] = []

    def path(self, name: str) -> Path:
        return self.folder / f"{name}.log"

    def open(self, name: str) -> IO[bytes]:
        handle = self.path(name).open("ab")
        self._files.append(handle)
        return handle

    def tail(self, name: str) -> str:
        """The last lines of a process's log (for the terminal when it failed)."""
        try:
            text = self.path(name).read_bytes()[-16384:].decode("utf-8", "replace")
        except FileNotFoundError:
            return ""
        return "\n".join(text.splitlines()[-TAIL_LINES:])

    def close(self) -> None:
        for handle in self._files:
            handle.close()


def _start_firebase(port: int, data_dir: Path, logs: _Logs) -> subprocess.Popen[bytes] | None:
    """Start the Firebase Auth emulator on `port` (Google sign-in offline), or None without it."""
    if port == 0:
        return None
    if not firebase_emulator.FIREBASE_BIN.exists():
        logger.warning("no Firebase Auth emulator (run `make install`): Google sign-in is off")
        return None
    workdir = data_dir / "firebase"
    workdir.mkdir(parents=True, exist_ok=True)
    firebase_emulator.write_config(workdir, port, hub_port=port - 2, logging_port=port - 1)
    process = subprocess.Popen(  # noqa: S603 (the repository's own firebase-tools)
        firebase_emulator.command(),
        cwd=workdir,
        env=firebase_emulator.isolated_env(workdir),
        stdin=subprocess.DEVNULL,
        process_group=OWN_GROUP,
        stdout=logs.open("firebase"),
        stderr=subprocess.STDOUT,
    )
    return process


def _stop_all(processes: list[subprocess.Popen[bytes]]) -> None:
    """SIGTERM in reverse start order, wait, then SIGKILL what is left."""
    for process in reversed(processes):
        stop_process(process)


async def _provision(gateway: str) -> tuple[str, list[dict[str, Any]]]:
    """Log in as the demo user, provision the demo bots, wait until they run."""
    import aiohttp

    async with aiohttp.ClientSession(gateway) as http:
        login = {"email": DEMO_EMAIL, "password": DEMO_PASSWORD}
        async with http.post("/api/auth/login", json=login) as response:
            token = str((await response.json())["token"])
        auth = {"Authorization": f"Bearer {token}"}
        for bot in DEMO_BOTS:
            body = {
                "exchange": "binance",
                "stake_amount": 50,
                "max_open_trades": 3,
                "dry_run": True,
                **bot,
            }
            async with http.post("/api/freqtrade/provision", json=body, headers=auth) as answer:
                if answer.status not in (201, 409):  # 409: kept from an earlier run
                    raise RuntimeError(f"provisioning {bot['instanceId']}: {await answer.text()}")
        deadline = time.monotonic() + 180
        while True:
            async with http.get("/api/freqtrade/bots", headers=auth) as response:
                bots: list[dict[str, Any]] = (await response.json())["bots"]
            if all(b["containerStatus"] == "running" for b in bots):
                return token, bots
            if time.monotonic() > deadline:
                raise RuntimeError(f"demo bots not running after 180 s: {bots}")
            await asyncio.sleep(1)


def _print_demo(
    gateway: str,
    token: str,
    bots: list[dict[str, Any]],
    control: str,
    logs: _Logs,
    data_dir: str,
    web_built: bool,
    google: bool,
) -> None:
    print("\nCrypto-Pilot demo is running: paper bots of the demo user\n")
    if web_built:
        print(f"  Open {gateway}/ in a browser: log in as {DEMO_EMAIL} / {DEMO_PASSWORD}")
        if google:
            print("  or sign up with Google (the Firebase Auth emulator's sign-in page)")
        print()
    else:
        print("  (the web app is not built: `make demo` builds it into web/dist)\n")
    for bot in bots:
        print(
            f"  {bot['instanceId']:<15} {bot['strategy']:<15} {bot['stake_currency']:<5} "
            f"pool {bot['poolId']}  {bot['containerStatus']}"
        )
    login = f'{{"email": "{DEMO_EMAIL}", "password": "{DEMO_PASSWORD}"}}'
    extract = "python3 -c 'import json,sys; print(json.load(sys.stdin)[\"token\"])'"
    print(f"\nAPI gateway: {gateway}  (demo user {DEMO_EMAIL} / {DEMO_PASSWORD})")
    print(
        f"  TOKEN=$(curl -s -H 'Content-Type: application/json' -d '{login}' "
        f"{gateway}/api/auth/login | {extract})"
    )
    auth = '-H "Authorization: Bearer $TOKEN"'
    print(f"  curl -s {auth} {gateway}/api/account/wallet")
    print(f"  curl -s {auth} {gateway}/api/freqtrade/bots")
    print(f"  curl -s {auth} {gateway}/api/freqtrade/portfolio")
    print(f"  curl -s {auth} {gateway}/api/freqtrade/portfolio/positions")
    print(f"  curl -s {auth} '{gateway}/api/freqtrade/trades?status=all'   # synced, cross-bot")
    first = bots[0]["instanceId"]
    print(f"  curl -s {auth} {gateway}/api/freqtrade/proxy/{first}/api/v1/status")
    print(f"  curl -s {auth} '{gateway}/api/freqtrade/bots/{first}/logs?lines=50&level=INFO'")
    print(f'  curl -sN "{gateway}/api/stream?token=$TOKEN"   # live SSE, every 5 s')
    print(f"  curl -s {gateway}/api/openapi.json   # every route")
    print(f"Pool control API: {control}  (token in CRYPTOPILOT_POOL_TOKEN of this run)")
    print("\nLogs (this terminal stays quiet):")
    for name in ("gateway", "pool", "sandbox", "firebase"):
        if logs.path(name).exists():
            print(f"  {name:<8} {logs.path(name)}")
    print(f"  bots     {Path(data_dir).resolve() / 'bots'}/<bot>/logs/freqtrade.log")
    print(f"\nA token for the demo user, valid 15 minutes:\n  TOKEN={token}")
    print("\nPress Ctrl-C to stop everything.\n", flush=True)


def run(args: argparse.Namespace) -> int:
    """Start everything, print how to watch it, stop cleanly on Ctrl-C or SIGTERM."""
    from observability.logs import configure_logging

    configure_logging("INFO", service="demo")
    token = secrets.token_urlsafe(24)
    data_dir = args.data_dir or tempfile.mkdtemp(prefix="cryptopilot-demo-")
    logs = _Logs(Path(data_dir))
    names: dict[subprocess.Popen[bytes], str] = {}
    sandbox_url = f"http://127.0.0.1:{args.sandbox_port}"
    control = f"http://127.0.0.1:{args.control_port}"
    env = {**os.environ, "CRYPTOPILOT_POOL_TOKEN": token}
    web_built = (Path(args.web_dir) / "index.html").is_file()
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
            [*cli, "sandbox", "--port", str(args.sandbox_port)],
            cwd=REPO_ROOT,
            env=env,
            process_group=OWN_GROUP,
            stdout=logs.open("sandbox"),
            stderr=subprocess.STDOUT,
        )
        processes.append(sandbox)
        names[sandbox] = "sandbox"
        emulator = _start_firebase(args.firebase_port, Path(data_dir), logs)
        if emulator is not None:
            processes.append(emulator)
            names[emulator] = "firebase"
        _wait("sandbox", lambda: _answers(f"{sandbox_url}/api/v3/ping"), sandbox, 30)
        # The gateway's database first (`user create` migrates it): the pool copies its bots'
        # trades into it (GET /api/freqtrade/trades).
        database_url = f"sqlite+aiosqlite:///{data_dir}/gateway.sqlite3"
        gateway_env = {
            **env,
            "CRYPTOPILOT_ENV": "demo",
            "CRYPTOPILOT_DATABASE_URL": database_url,
            "CRYPTOPILOT_POOLS": f"demo={control}",
            "CRYPTOPILOT_MARKET_URL": sandbox_url,
            "CRYPTOPILOT_WEB_DIR": args.web_dir if web_built else "",
        }
        if emulator is not None:
            emulator_host = f"127.0.0.1:{args.firebase_port}"
            _wait("firebase", lambda: firebase_emulator.is_ready(emulator_host), emulator, 90)
            gateway_env["CRYPTOPILOT_FIREBASE_AUTH_EMULATOR_HOST"] = emulator_host
        subprocess.run(  # noqa: S603 (our own interpreter and arguments)
            # An admin, so the demo shows the operator's pages (pools, strategy store) too.
            [*cli, "user", "create", "--email", DEMO_EMAIL, "--password", DEMO_PASSWORD, "--admin"],
            cwd=REPO_ROOT,
            env=gateway_env,
            check=True,
            stdout=logs.open("gateway"),
            stderr=subprocess.STDOUT,
        )
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
            env={**env, "CRYPTOPILOT_POOL_SYNC_DATABASE_URL": database_url},
            process_group=OWN_GROUP,
            stdout=logs.open("pool"),
            stderr=subprocess.STDOUT,
        )
        processes.append(pool)
        names[pool] = "pool"
        _wait("pool", lambda: _answers(f"{control}/health", token), pool, 60)
        gateway = f"http://127.0.0.1:{args.gateway_port}"
        gateway_process = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
            [*cli, "gateway", "--port", str(args.gateway_port)],
            cwd=REPO_ROOT,
            env=gateway_env,
            process_group=OWN_GROUP,
            stdout=logs.open("gateway"),
            stderr=subprocess.STDOUT,
        )
        processes.append(gateway_process)
        names[gateway_process] = "gateway"
        _wait("gateway", lambda: _answers(f"{gateway}/api/ready"), gateway_process, 60)
        user_token, bots = asyncio.run(_provision(gateway))
        _print_demo(
            gateway, user_token, bots, control, logs, data_dir, web_built, emulator is not None
        )
        while all(p.poll() is None for p in processes):
            time.sleep(0.5)
        for process in processes:
            if process.poll() is not None:
                name = names[process]
                logger.error(
                    "the %s exited on its own (code %s); the end of %s:\n%s",
                    name,
                    process.returncode,
                    logs.path(name),
                    logs.tail(name),
                )
        return 1
    except (RuntimeError, subprocess.CalledProcessError) as exc:
        # The process last started is the one being waited for (`user create` logs with the
        # gateway, provisioning talks to the gateway).
        name = "gateway"
        if isinstance(exc, RuntimeError) and processes:
            name = names[processes[-1]]
        logger.error("demo failed: %s; the end of %s:\n%s", exc, logs.path(name), logs.tail(name))
        return 1
    except KeyboardInterrupt:
        print("\nstopping the demo ...", flush=True)
        return 0
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        _stop_all(processes)
        logs.close()
        print(f"demo stopped (pool data and logs kept in {data_dir})", flush=True)

"""Memory and start-up: N bots in one pool vs N separate `freqtrade trade` processes.

Runs both sides one after the other against one sandbox, with the same bot configs:
after `--seconds` of trading, every bot gets SIGUSR1 (a full `gc.collect()`, because a
bot's first full collection can come hours later and copies the parent's heap unless it was
frozen), then PSS is summed over every process of each side from /proc/PID/smaps_rollup
(pool side: supervisor, forkserver, resource tracker and bots). Not a timed test:

    .venv/bin/python bench/pool_memory.py [--bots 10] [--seconds 60] [--ksm 1000] [--json]

With `--ksm PAGES` (root), a second pool side runs with its bots opted into the kernel's
same-page merging and the host's ksmd scanning PAGES pages per 20 ms; after two full scans its
PSS is read again and the kernel's KSM bookkeeping for those processes added to it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import psutil

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench import ksmd  # noqa: E402
from bench.sandbox import start_sandbox  # noqa: E402
from cli.processes import stop_process  # noqa: E402
from runtime.botconfig import BotPaths, build_config, strategies_dir  # noqa: E402
from runtime.readiness import api_answers  # noqa: E402
from runtime.rpc.client import PoolClient  # noqa: E402
from runtime.spec import parse_bot_spec  # noqa: E402
from runtime.store import ApiCredentials  # noqa: E402
from tests.helpers import free_port  # noqa: E402

MiB = 1024 * 1024
# ksmd's rate for the KSM side: pages per 20 ms (pool_containers/systemd/cryptopilot-ksm.conf).
DEFAULT_KSM_PAGES = 1000
PAIRS = ["BTC/USDT", "ETH/USDT", "SOL/USDT", "BNB/USDT", "XRP/USDT", "ADA/USDT"]
# The stock `freqtrade` entry point plus the same SIGUSR1 -> gc.collect() hook the pool's bots have.
FREQTRADE_WITH_GC_HOOK = (
    "import gc, signal, sys; signal.signal(signal.SIGUSR1, lambda *a: gc.collect()); "
    "from freqtrade.main import main; sys.argv[0] = 'freqtrade'; main()"
)


def pss(pid: int) -> int:
    """PSS in bytes of one process from /proc/PID/smaps_rollup (0 if it is gone)."""
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0
    for line in text.splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1]) * 1024
    return 0


def tree(pid: int) -> list[int]:
    root = psutil.Process(pid)
    return [pid] + [p.pid for p in root.children(recursive=True)]


def spec(i: int) -> dict[str, Any]:
    return {
        "bot_id": f"bench-{i}",
        "owner": "bench",
        "strategy": "SandboxScalp1m",
        "pairs": PAIRS,
        "stake_currency": "USDT",
        "dry_run_wallet": 1000,
    }


async def wait_apis(ports: list[int], limit: float = 300) -> float:
    started = time.monotonic()
    async with aiohttp.ClientSession() as session:
        pending = set(ports)
        while pending:
            if time.monotonic() - started > limit:
                raise TimeoutError(f"APIs on {sorted(pending)} not answering")
            answers = await asyncio.gather(*(api_answers(session, p) for p in pending))
            pending = {p for p, ok in zip(list(pending), answers, strict=True) if not ok}
            await asyncio.sleep(0.05)
    return time.monotonic() - started


def collect_and_measure(pids_of_bots: list[int], all_pids: list[int]) -> int:
    for pid in pids_of_bots:
        os.kill(pid, signal.SIGUSR1)
    time.sleep(3)  # let every bot finish its collection (signals run between bytecodes)
    return sum(pss(p) for p in all_pids)


def stop(process: subprocess.Popen[bytes]) -> None:
    stop_process(process, grace=60)


async def pool_side(
    n: int, seconds: float, sandbox: str, work: Path, ksm_rate: int = 0
) -> dict[str, Any]:
    """One pool of `n` bots; with `ksm_rate`, its bots opted into KSM and the host's ksmd on
    at that many pages per 20 ms (else `--no-ksm` and ksmd as the host has it)."""
    if not ksm_rate:
        return await _pool_side(n, seconds, sandbox, work, ksm_rate)
    with ksmd.running(ksm_rate):
        return await _pool_side(n, seconds, sandbox, work, ksm_rate)


async def _pool_side(
    n: int, seconds: float, sandbox: str, work: Path, ksm_rate: int
) -> dict[str, Any]:
    token, port, low = secrets.token_hex(16), free_port(), 21_000
    env = {**os.environ, "CRYPTOPILOT_POOL_TOKEN": token}
    supervisor = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cli.main",
            "pool",
            "run",
            "--pool-id",
            "bench",
            "--data-dir",
            str(work / f"pool-ksm-{ksm_rate}"),
            "--control-port",
            str(port),
            "--exchange-url",
            sandbox,
            "--capacity",
            str(n + 1),
            "--api-port-min",
            str(low),
            "--api-port-max",
            str(low + 50),
            "--log-level",
            "WARNING",
            "--ksm" if ksm_rate else "--no-ksm",
        ],
        cwd=REPO,
        env=env,
    )
    ksmd_started = ksmd.cpu_seconds(ksmd.ksmd_pid())
    try:
        async with PoolClient(f"http://127.0.0.1:{port}", token) as client:
            deadline = time.monotonic() + 120
            while True:
                try:
                    await client.health()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    await asyncio.sleep(0.1)
            base_pss = sum(pss(p) for p in tree(supervisor.pid))
            started = time.monotonic()
            bots = [await client.add_bot(spec(i)) for i in range(n)]
            await wait_apis([b["api_port"] for b in bots])
            all_up = time.monotonic() - started
            await asyncio.sleep(seconds)
            bot_pids = [b["pid"] for b in bots]
            total = collect_and_measure(bot_pids, tree(supervisor.pid))
            merge: dict[str, Any] = {}
            if ksm_rate:
                # Two full scans after the collection: the first finds equal pages, the
                # second merges the ones still equal (KSM's unstable tree, then stable).
                waited = await ksmd.wait_for_scans(2, timeout=900)
                pids = tree(supervisor.pid)
                total = sum(pss(p) for p in pids)
                window = time.monotonic() - started
                cpu = ksmd.cpu_seconds(ksmd.ksmd_pid()) - ksmd_started
                merge = {
                    "pages_to_scan": ksm_rate,
                    "waited_s": waited,
                    "merged_mib": ksmd.merged_bytes(pids) / MiB,
                    "bookkeeping_mib": ksmd.bookkeeping_bytes(pids) / MiB,
                    "ksmd_cpu_percent": 100 * cpu / window,
                }
                total += ksmd.bookkeeping_bytes(pids)  # kernel memory the merge costs
            # Hot add while N bots trade: RPC call -> the new bot's API answering.
            t0 = time.monotonic()
            extra = await client.add_bot(spec(n))
            await wait_apis([extra["api_port"]])
            hot_add = time.monotonic() - t0
            return {
                "total_pss_mib": total / MiB,
                "base_pss_mib": base_pss / MiB,
                "all_apis_s": all_up,
                "hot_add_s": hot_add,
                "marginal_mib_per_bot": (total - base_pss) / n / MiB,
                **({"ksm": merge} if merge else {}),
            }
    finally:
        stop(supervisor)


async def separate_side(n: int, seconds: float, sandbox: str, work: Path) -> dict[str, Any]:
    from sandbox.botconfig import exchange_config

    processes: list[subprocess.Popen[bytes]] = []
    ports = []
    try:
        started = time.monotonic()
        for i in range(n):
            bot_spec = parse_bot_spec(spec(i))
            paths = BotPaths.of(work / "separate", bot_spec.bot_id)
            paths.log.parent.mkdir(parents=True, exist_ok=True)
            port = 22_000 + i
            api = ApiCredentials.generate(bot_spec.bot_id)
            config = build_config(
                bot_spec,
                port,
                api,
                paths,
                api_password="bench",  # noqa: S106
                strategy_path=strategies_dir(),
            )
            config["exchange"] = exchange_config(sandbox, PAIRS)
            paths.config.write_text(json.dumps(config))
            ports.append(port)
            with paths.stdio.open("ab") as out:
                processes.append(
                    subprocess.Popen(
                        [
                            sys.executable,
                            "-c",
                            FREQTRADE_WITH_GC_HOOK,
                            "trade",
                            "-c",
                            str(paths.config),
                        ],
                        cwd=paths.root,
                        stdout=out,
                        stderr=subprocess.STDOUT,
                    )
                )
        await wait_apis(ports)
        all_up = time.monotonic() - started
        await asyncio.sleep(seconds)
        pids = [p.pid for p in processes]
        total = collect_and_measure(pids, pids)
        return {"total_pss_mib": total / MiB, "all_apis_s": all_up}
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            stop(process)


async def bench(n: int, seconds: float, ksm_rate: int = 0) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="pool-bench-") as tmp:
        work = Path(tmp)
        sandbox_proc, sandbox = await start_sandbox(work)
        try:
            pool = await pool_side(n, seconds, sandbox, work)
            merged = await pool_side(n, seconds, sandbox, work, ksm_rate) if ksm_rate else None
            separate = await separate_side(n, seconds, sandbox, work)
        finally:
            stop(sandbox_proc)
    result = {
        "bots": n,
        "seconds": seconds,
        "pool": pool,
        "separate": separate,
        "ratio": pool["total_pss_mib"] / separate["total_pss_mib"],
    }
    if merged is not None:
        result["pool_ksm"] = merged
        result["ratio_ksm"] = merged["total_pss_mib"] / separate["total_pss_mib"]
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bots", type=int, default=10, help="bots per side (default 10)")
    parser.add_argument("--seconds", type=float, default=60, help="trading time before measuring")
    parser.add_argument(
        "--ksm",
        type=int,
        default=DEFAULT_KSM_PAGES,
        metavar="PAGES",
        help="also a pool with KSM: the host's ksmd on at PAGES pages per 20 ms, two full scans"
        " waited for (needs root; 0 = no such side; default 1000)",
    )
    parser.add_argument("--json", action="store_true", help="print machine-readable figures")
    args = parser.parse_args()
    if args.ksm and not ksmd.available():
        parser.error("--ksm needs root and a kernel with KSM (or pass --ksm 0)")
    result = asyncio.run(bench(args.bots, args.seconds, args.ksm))
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    pool, sep = result["pool"], result["separate"]
    print(f"{args.bots} bots, {args.seconds:g}s of trading, after a full GC in every bot")
    print(
        f"  separate processes : {sep['total_pss_mib']:8.0f} MiB PSS, "
        f"all APIs after {sep['all_apis_s']:.1f}s"
    )
    print(
        f"  one pool           : {pool['total_pss_mib']:8.0f} MiB PSS "
        f"(supervisor+forkserver alone {pool['base_pss_mib']:.0f} MiB), "
        f"all APIs after {pool['all_apis_s']:.1f}s"
    )
    print(f"  ratio pool/separate: {result['ratio']:.2f}   (target <= 0.30)")
    print(f"  marginal per bot   : {pool['marginal_mib_per_bot']:.1f} MiB   (target <= 50)")
    print(f"  hot add            : {pool['hot_add_s']:.2f}s   (target <= 0.5)")
    if "pool_ksm" in result:
        merged = result["pool_ksm"]
        figures = merged["ksm"]
        print(
            f"  one pool with KSM  : {merged['total_pss_mib']:8.0f} MiB PSS + KSM bookkeeping "
            f"(base {merged['base_pss_mib']:.0f} MiB), {figures['merged_mib']:.0f} MiB merged,"
            f" bookkeeping {figures['bookkeeping_mib']:.1f} MiB, ksmd"
            f" {figures['ksmd_cpu_percent']:.1f}% of a core at {figures['pages_to_scan']} pages"
            f" per 20 ms, two full scans after {figures['waited_s']:.0f}s"
        )
        print(f"  ratio with KSM     : {result['ratio_ksm']:.2f}   (target <= 0.30)")
        print(f"  marginal with KSM  : {merged['marginal_mib_per_bot']:.1f} MiB   (target <= 50)")
        print(f"  hot add with KSM   : {merged['hot_add_s']:.2f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Many bots on one host: ramp dry-run bots in pools of ten until `--max-bots` (or a limit).

One sandbox (optionally with a Binance-sized catalogue, `--markets 2000`), pool supervisors
started as the ramp needs them (`--pool-size` bots each), the gateway in-process on SQLite
with one user owning every bot and `--sse` dashboard streams open on it the whole time. Every
`--step` bots, after `--settle` seconds of trading and a full `gc.collect()` in every bot:

* total PSS of every pool process and PSS per bot above the pools' empty base;
* CPU of bots, pool processes, sandbox and gateway (+ this bench) over the settle window;
* each bot's loop lag from its heartbeat in the pool's `GET /bots` (age vs throttle, loop_s);
* hot add: the pool's `POST /bots` until that bot is `running`, for every bot of the step;
* P1 (`GET /api/freqtrade/portfolio` through the gateway's HTTP route) p50/p95.

After the last step, `--profile-bots` bots are sampled with py-spy for `--profile-seconds`
while they trade on, and their samples sorted into the parts of a bot's work (bench/profile.py);
then `--nice-ab` rounds of hot adds with the running bots at nice 0 and at the pools' bot nice,
alternating (bench/nice_ab.py).

The knee is the first step where a loop is late or P1 p95 triples against the first step;
the limit is named from the per-process CPU and free memory there. Then, in the same run,
the same bots as separate `freqtrade trade` processes (as many as memory allows, see
`--separate`) for the pool ÷ separate ratio. Each `--markets` value is one such run.

    .venv/bin/python bench/scale.py [--max-bots 100] [--step 10] [--markets 0 2000]
        [--until-limit] [--separate N] [--profile-bots 3] [--nice-ab 5] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import secrets
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import psutil
from aiohttp.test_utils import TestClient, TestServer

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench import ksmd, nice_ab, profile, sse  # noqa: E402
from bench.pool_memory import (  # noqa: E402
    DEFAULT_KSM_PAGES,
    PAIRS,
    collect_and_measure,
    separate_side,
    spec,
    tree,
)
from bench.portfolio import PASSWORD, percentile, start_pool  # noqa: E402
from bench.sandbox import start_sandbox  # noqa: E402
from bench.sse import StreamStats  # noqa: E402
from cli.processes import stop_process  # noqa: E402
from gateway.app import create_app  # noqa: E402
from gateway.keys import SERVICES  # noqa: E402
from gateway.settings import Settings  # noqa: E402
from runtime.memory import read_process  # noqa: E402
from runtime.rpc.client import PoolClient  # noqa: E402
from runtime.settings import PoolSettings  # noqa: E402
from tests.helpers import async_wait_until  # noqa: E402

MiB = 1024 * 1024
SEPARATE_MIB = 260  # what one separate `freqtrade trade` process needs (FIELD_NOTES: ~240)
MIN_FREE_MIB = 1024  # stop ramping (--until-limit) before the host has less than this free
PROFILE_RATE = 100  # py-spy samples a second
TARGETS = {"bots_on_time": 100, "marginal_mib": 50.0, "ratio": 0.30, "hot_add_s": 0.5}
KSM_SETTLE_TIMEOUT = 1800  # seconds for ksmd's two full scans after the last step
BOT_NICE = PoolSettings.model_fields["bot_nice"].default  # the bench's pools run the default


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


@dataclass
class Pool:
    """One pool supervisor of the ramp."""

    pool_id: str
    process: Any
    client: PoolClient
    base_pss: int  # PSS of its processes before it had bots
    bots: list[str] = field(default_factory=list)


@dataclass
class Gateway:
    """The in-process gateway, its user's Authorization header and SSE token."""

    client: TestClient[Any, Any]
    auth: dict[str, str]
    token: str
    user_id: str


async def start_gateway(work: Path, token: str) -> Gateway:
    settings = Settings(
        env="test",
        pool_token=token,
        database_url=f"sqlite+aiosqlite:///{work / 'gateway.sqlite3'}",
        jwt_secret="bench-secret-" + "x" * 32,
        bcrypt_rounds=4,
        rate_limit_default="1000000/60",
        rate_limit_auth="1000/60",
        reconcile_interval=0,  # the bench places bots itself; nothing to reconcile
        trade_monitor_interval=0,
        pool_health_interval=0,
    )
    client: TestClient[Any, Any] = TestClient(TestServer(create_app(settings)))
    await client.start_server()
    body = {"username": "bench", "email": "bench@example.com", "password": PASSWORD}
    assert (await client.post("/api/auth/register", json=body)).status == 201
    answer = await (await client.post("/api/auth/login", json=body)).json()
    access = answer["token"]
    return Gateway(
        client, {"Authorization": f"Bearer {access}"}, access, answer["data"]["user"]["id"]
    )


async def open_pool(index: int, size: int, sandbox: str, work: Path, token: str) -> Pool:
    process, url = start_pool(index, size + 1, sandbox, work, token)  # +1: the step's hot add
    client = await PoolClient(url, token, timeout=300).__aenter__()  # closed by ramp()

    async def up() -> bool:
        try:
            return bool((await client.health())["success"])
        except OSError:
            return False

    await async_wait_until(up, timeout=120, what=f"pool {url}")
    base = sum(_pss(p) for p in tree(process.pid))
    return Pool(f"bench-{index}", process, client, base)


def _pss(pid: int) -> int:
    sample = read_process(pid)
    return 0 if sample is None else sample.pss_bytes


async def add_bot(pool: Pool, gateway: Gateway, index: int) -> float:
    """Hot-add one bot (RPC until `running`), record it in the gateway; seconds it took."""
    started = time.monotonic()
    await pool.client.add_bot(spec(index))
    view = await pool.client.wait_for_state(f"bench-{index}", "running", 300, 0.02)
    took = time.monotonic() - started
    pool.bots.append(view["bot_id"])
    services = gateway.client.app[SERVICES]
    await services.bot_store.create(
        id=view["bot_id"], user_id=gateway.user_id, pool_id=pool.pool_id,
        strategy="SandboxScalp1m", exchange="binance", stake_currency="USDT",
        stake_amount="unlimited", max_open_trades=3, timeframe="1m", pairs=PAIRS, dry_run=True,
        wallet_cents=100_000, desired_state="running", api_url=None, api_username=None,
        api_port=None,
    )  # fmt: skip
    await services.bot_store.record_seen(view["bot_id"], view)
    return took


async def sse_client(gateway: Gateway, stats: StreamStats) -> None:
    """One open dashboard: reads the stream and counts its events until cancelled."""
    path = f"/api/freqtrade/stream?token={gateway.token}"
    timeout = aiohttp.ClientTimeout(total=None, sock_read=None)
    response = await gateway.client.get(path, timeout=timeout)
    assert response.status == 200, await response.text()
    await sse.count(response, stats)


def cpu_seconds(pids: dict[int, str]) -> dict[int, float]:
    seconds = {}
    for pid in pids:
        sample = read_process(pid)
        if sample is not None:
            seconds[pid] = sample.cpu_seconds
    return seconds


def roles(pools: list[Pool], bot_pids: list[int], sandbox_pid: int) -> dict[int, str]:
    """Every process of the bench and what it is."""
    named = {pid: "pool" for pool in pools for pid in tree(pool.process.pid)}
    named |= dict.fromkeys(bot_pids, "bots")
    named[sandbox_pid] = "sandbox"
    named[psutil.Process().pid] = "gateway+bench"
    return named


async def loop_lag(pools: list[Pool]) -> dict[str, Any]:
    """Heartbeats of every bot: lag = age beyond its throttle; late = lag > throttle or a
    pass longer than the throttle (or no heartbeat at all)."""
    lags, ages, late = [], [], 0
    for pool in pools:
        for view in await pool.client.list_bots():
            beat = view.get("heartbeat")
            if beat is None:
                late += 1
                continue
            lag = max(0.0, beat["age_s"] - beat["throttle_s"])
            lags.append(lag)
            ages.append(beat["age_s"])
            late += lag > beat["throttle_s"] or beat["loop_s"] > beat["throttle_s"]
    return {
        "lag_p50_s": statistics.median(lags) if lags else math.nan,
        "lag_max_s": max(lags) if lags else math.nan,
        "age_max_s": max(ages) if ages else math.nan,
        "late": late,
    }


async def p1(gateway: Gateway, bots: int, requests: int) -> dict[str, Any]:
    samples, errors = [], 0
    for _ in range(requests):
        started = time.perf_counter()
        response = await gateway.client.get("/api/freqtrade/portfolio", headers=gateway.auth)
        data = await response.json()
        samples.append((time.perf_counter() - started) * 1000)
        if response.status != 200 or data.get("activeBots") != bots:
            errors += 1
    return {"p50_ms": statistics.median(samples), "p95_ms": percentile(samples, 0.95),
            "errors": errors}  # fmt: skip


async def measure_step(
    pools: list[Pool], sandbox_pid: int, gateway: Gateway, settle: float, requests: int
) -> dict[str, Any]:
    views = [v for pool in pools for v in await pool.client.list_bots()]
    bot_pids = [v["pid"] for v in views if v.get("pid")]
    named = roles(pools, bot_pids, sandbox_pid)
    ksmd_pid = ksmd.ksmd_pid()
    ksmd_before = ksmd.cpu_seconds(ksmd_pid)
    before, started = cpu_seconds(named), time.monotonic()
    psutil.cpu_percent(None)  # starts the host-wide window (other sessions' work included)
    await asyncio.sleep(settle)
    host_cpu = psutil.cpu_percent(None)
    after, window = cpu_seconds(named), time.monotonic() - started
    cores = psutil.cpu_count() or 1
    # The kernel's ksmd merges the bots' equal pages (--ksm): its CPU is the bots' cost too.
    cpu: dict[str, float] = {
        "ksmd": 100 * (ksmd.cpu_seconds(ksmd_pid) - ksmd_before) / window / cores
    }
    per_process = []
    for pid, used in after.items():
        share = 100 * (used - before.get(pid, used)) / window / cores
        cpu[named[pid]] = cpu.get(named[pid], 0.0) + share
        per_process.append((share, named[pid], pid))
    lag = await loop_lag(pools)  # before the collection pauses every bot
    pool_pids = [pid for pool in pools for pid in tree(pool.process.pid)]
    total = await asyncio.to_thread(collect_and_measure, bot_pids, pool_pids)
    # Kernel memory KSM spends on these processes is in no PSS: counted with them.
    bookkeeping = ksmd.bookkeeping_bytes(pool_pids)
    total += bookkeeping
    base = sum(pool.base_pss for pool in pools)
    return {
        "ksm_merged_mib": ksmd.merged_bytes(pool_pids) / MiB,
        "ksm_bookkeeping_mib": bookkeeping / MiB,
        "total_pss_mib": total / MiB,
        "base_pss_mib": base / MiB,
        "pss_per_bot_mib": (total - base) / len(bot_pids) / MiB,
        "cpu_percent": {k: round(v, 1) for k, v in sorted(cpu.items())},
        "cpu_total_percent": round(sum(cpu.values()), 1),
        "host_cpu_percent": host_cpu,
        "top_processes": [
            {"role": role, "pid": pid, "cpu_percent": round(share, 1)}
            for share, role, pid in sorted(per_process, reverse=True)[:5]
        ],
        "available_mib": psutil.virtual_memory().available / MiB,
        **lag,
        "p1": await p1(gateway, len(bot_pids), requests),
    }


def knee_of(steps: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The first step with a late loop or P1 p95 over three times the first step's."""
    first = steps[0]["p1"]["p95_ms"]
    for step in steps:
        if step["late"] or step["p1"]["p95_ms"] > 3 * first:
            return step
    return None


def limit_of(step: dict[str, Any]) -> str:
    """What limits the host at a step, from its CPU and free memory."""
    if step["available_mib"] < MIN_FREE_MIB:
        return f"memory ({step['available_mib']:.0f} MiB free)"
    shares = ", ".join(f"{k} {v:.0f}%" for k, v in step["cpu_percent"].items())
    busiest = max(step["cpu_percent"], key=step["cpu_percent"].__getitem__)
    host = step["host_cpu_percent"]
    saturated = "CPU saturated" if host >= 85 else "CPU not saturated"
    return (
        f"{saturated} (host {host:.0f}%; ours {step['cpu_total_percent']:.0f}% of all cores: "
        f"{shares}); most: {busiest}"
    )


async def ramp(args: argparse.Namespace, sandbox: str, sandbox_pid: int, work: Path) -> list[Any]:
    token = secrets.token_hex(16)
    gateway = await start_gateway(work, token)
    pools: list[Pool] = []
    steps: list[dict[str, Any]] = []
    stats = [StreamStats() for _ in range(args.sse)]
    streams = [asyncio.create_task(sse_client(gateway, one)) for one in stats]
    try:
        bots, target = 0, args.step
        while True:
            adds = []
            while bots < target:
                if not pools or len(pools[-1].bots) >= args.pool_size:
                    pools.append(await open_pool(len(pools), args.pool_size, sandbox, work, token))
                    await gateway.client.app[SERVICES].pools.announce(
                        pools[-1].pool_id, pools[-1].client.base_url, capacity=args.pool_size + 1
                    )
                adds.append(await add_bot(pools[-1], gateway, bots))
                bots += 1
            sse_before = sum(one.events for one in stats)
            step: dict[str, Any] = {"bots": bots, "pools": len(pools)}
            step |= await measure_step(pools, sandbox_pid, gateway, args.settle, args.requests)
            step["hot_add_s"] = {"p50": statistics.median(adds), "max": max(adds)}
            step["sse_events"] = sum(one.events for one in stats) - sse_before
            step["sse_largest_kib"] = max(one.largest_bytes for one in stats) / 1024
            step["sse_ended"] = sorted({one.error for one in stats if one.error})
            steps.append(step)
            log(step_line(step))
            if target >= args.max_bots and not (args.until_limit and knee_of(steps) is None):
                if args.profile_bots:
                    step["profile"] = await profile_bots(pools, args)
                    log(profile_line(step["profile"]))
                if args.nice_ab:
                    await compare_nice(pools, step, args.nice_ab)
                if args.ksm:
                    await settle_merge(pools, step)
                break
            if step["available_mib"] < MIN_FREE_MIB + args.step * 80:
                log("stopping the ramp: memory is running out")
                break
            target += args.step
    finally:
        for task in streams:
            task.cancel()
        await asyncio.gather(*streams, return_exceptions=True)
        await gateway.client.close()
        for pool in pools:
            await pool.client.close()
        for pool in reversed(pools):
            stop_process(pool.process, 120)
    return steps


async def settle_merge(pools: list[Pool], step: dict[str, Any]) -> None:
    """With ksmd on, the last step's memory again once it finished two more full scans."""
    waited = await ksmd.wait_for_scans(2, timeout=KSM_SETTLE_TIMEOUT)
    pids = [pid for pool in pools for pid in tree(pool.process.pid)]
    bots = [v["pid"] for pool in pools for v in await pool.client.list_bots() if v.get("pid")]
    bookkeeping = ksmd.bookkeeping_bytes(pids)
    total = sum(_pss(pid) for pid in pids) + bookkeeping
    base = sum(pool.base_pss for pool in pools)
    step["ksm_settled"] = {
        "waited_s": waited,
        "total_pss_mib": total / MiB,
        "pss_per_bot_mib": (total - base) / len(bots) / MiB,
        "merged_mib": ksmd.merged_bytes(pids) / MiB,
        "bookkeeping_mib": bookkeeping / MiB,
    }
    log(settled_line(step["ksm_settled"]))


def settled_line(found: dict[str, Any]) -> str:
    return (
        f"after two more full ksmd scans ({found['waited_s']:.0f} s): PSS"
        f" {found['total_pss_mib']:.0f} MiB ({found['pss_per_bot_mib']:.1f}/bot) with"
        f" {found['bookkeeping_mib']:.0f} MiB of KSM bookkeeping; {found['merged_mib']:.0f} MiB"
        " merged"
    )


async def compare_nice(pools: list[Pool], step: dict[str, Any], rounds: int) -> None:
    """Hot add side by side with the running bots at nice 0 and at the pools' bot nice."""
    if not nice_ab.can_lower_nice():
        log("nice side by side skipped: setting bots back to nice 0 needs root")
        return
    views = [v for pool in pools for v in await pool.client.list_bots() if v.get("pid")]
    pids = [int(v["pid"]) for v in views]
    step["nice_ab"] = await nice_ab.compare(
        pools[-1].client, pids, lambda name: {**spec(0), "bot_id": name}, rounds, BOT_NICE
    )
    log(nice_ab.line(step["nice_ab"]))


async def profile_bots(pools: list[Pool], args: argparse.Namespace) -> dict[str, Any]:
    """py-spy on `--profile-bots` bots (spread over the pools) while they trade on."""
    views = [v for pool in pools for v in await pool.client.list_bots() if v.get("pid")]
    chosen = [int(v["pid"]) for v in views[:: max(1, len(views) // args.profile_bots)]]
    chosen = chosen[: args.profile_bots]
    stacks = await profile.record(chosen, args.profile_seconds, PROFILE_RATE)
    samples = sum(stacks.values())
    return {
        "bots": len(chosen),
        "seconds": args.profile_seconds,
        "samples": samples,
        # Samples with the GIL held per bot, as a share of one core.
        "core_percent_per_bot": 100 * samples / PROFILE_RATE / args.profile_seconds / len(chosen),
        "breakdown": {k: round(v, 3) for k, v in profile.breakdown(stacks).items()},
    }


def profile_line(found: dict[str, Any]) -> str:
    parts = ", ".join(f"{name} {share:.0%}" for name, share in found["breakdown"].items())
    return (
        f"profile of {found['bots']} bots over {found['seconds']:.0f} s"
        f" ({found['core_percent_per_bot']:.1f} % of a core each with the GIL): {parts}"
    )


def step_line(step: dict[str, Any]) -> str:
    return (
        f"{step['bots']:>4} bots {step['pools']:>3} pools  PSS {step['total_pss_mib']:>7.0f} MiB"
        f" ({step['pss_per_bot_mib']:5.1f}/bot)  CPU {step['cpu_total_percent']:5.1f}%"
        f" (host {step['host_cpu_percent']:.0f}%)"
        f"  lag p50/max {step['lag_p50_s']:5.2f}/{step['lag_max_s']:5.2f}s late {step['late']:>3}"
        f"  hot add p50/max {step['hot_add_s']['p50']:.2f}/{step['hot_add_s']['max']:.2f}s"
        f"  KSM merged {step['ksm_merged_mib']:.0f} MiB"
        f"  P1 p50/p95 {step['p1']['p50_ms']:6.1f}/{step['p1']['p95_ms']:6.1f} ms"
        f" ({step['p1']['errors']} bad)  SSE events {step['sse_events']}"
        f" (largest {step['sse_largest_kib']:.0f} KiB{', ENDED: ' if step['sse_ended'] else ''}"
        f"{'; '.join(step['sse_ended'])})"
    )


def separate_count(args: argparse.Namespace, steps: list[dict[str, Any]]) -> int:
    """How many separate processes: --separate, else the largest step that fits in memory."""
    if args.separate is not None:
        return int(args.separate)
    fits = psutil.virtual_memory().available / MiB * 0.7 / SEPARATE_MIB
    sizes = [s["bots"] for s in steps if s["bots"] <= fits]
    return max(sizes, default=0)


async def run_catalogue(args: argparse.Namespace, markets: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="scale-bench-") as tmp:
        work = Path(tmp)
        process, sandbox = await start_sandbox(work, markets)
        try:
            with ksmd.running(args.ksm) if args.ksm else contextlib.nullcontext():
                steps = await ramp(args, sandbox, process.pid, work)
            count = separate_count(args, steps)
            separate: dict[str, Any] | None = None
            if count:
                log(f"separate side: {count} `freqtrade trade` processes")
                try:
                    separate = await separate_side(count, args.settle, sandbox, work)
                except TimeoutError as exc:  # reported, so the ramp's figures are not lost
                    separate = {"error": str(exc), "total_pss_mib": math.nan}
        finally:
            stop_process(process, 60)
    return summarise(markets, steps, count, separate)


def summarise(
    markets: int, steps: list[dict[str, Any]], count: int, separate: dict[str, Any] | None
) -> dict[str, Any]:
    knee = knee_of(steps)
    on_time = [s["bots"] for s in steps if not s["late"]]
    last = steps[-1]
    same = next((s for s in steps if s["bots"] == count), None)
    ratio = None
    if separate is not None and same is not None and "error" not in separate:
        ratio = same["total_pss_mib"] / separate["total_pss_mib"]
    return {
        "markets": markets or "regular",
        "steps": steps,
        "knee": None if knee is None else {"bots": knee["bots"], "limit": limit_of(knee)},
        "separate": None if separate is None else {"bots": count, **separate},
        "ratio": ratio,
        "targets": {
            "bots_on_time": max(on_time, default=0),
            "marginal_mib": last.get("ksm_settled", last)["pss_per_bot_mib"],
            "ratio": ratio,
            "hot_add_s": last["hot_add_s"]["max"],
            "hot_add_at_bots": last["bots"],
        },
    }


def report(result: dict[str, Any]) -> None:
    print(f"\n== catalogue: {result['markets']} markets ==")
    for step in result["steps"]:
        print(step_line(step))
        top = ", ".join(
            f"{p['role']}:{p['pid']} {p['cpu_percent']}%" for p in step["top_processes"]
        )
        print(f"       CPU by role {step['cpu_percent']}  busiest: {top}")
    if "profile" in result["steps"][-1]:
        print(profile_line(result["steps"][-1]["profile"]))
    if "nice_ab" in result["steps"][-1]:
        print(nice_ab.line(result["steps"][-1]["nice_ab"]))
    if "ksm_settled" in result["steps"][-1]:
        print(settled_line(result["steps"][-1]["ksm_settled"]))
    knee = result["knee"]
    if knee is None:
        print(f"knee: none up to {result['steps'][-1]['bots']} bots")
    else:
        print(f"knee: at {knee['bots']} bots; limit: {knee['limit']}")
    separate = result["separate"]
    if separate is not None and "error" in separate:
        print(f"separate: {separate['bots']} processes FAILED: {separate['error']}")
    elif separate is not None:
        print(f"separate: {separate['bots']} processes {separate['total_pss_mib']:.0f} MiB PSS")
    got, ok = result["targets"], []
    ratio = "n/a" if got["ratio"] is None else f"{got['ratio']:.2f}"
    checks = [
        (f"bots with loops on time {got['bots_on_time']}", ">= 100",
         got["bots_on_time"] >= TARGETS["bots_on_time"]),
        (f"marginal PSS per bot {got['marginal_mib']:.1f} MiB", "<= 50",
         got["marginal_mib"] <= TARGETS["marginal_mib"]),
        (f"pool / separate PSS {ratio}", "<= 0.30",
         got["ratio"] is not None and got["ratio"] <= TARGETS["ratio"]),
        (f"hot add at {got['hot_add_at_bots']} bots {got['hot_add_s']:.2f}s (max)", "<= 0.5 s",
         got["hot_add_s"] <= TARGETS["hot_add_s"]),
    ]  # fmt: skip
    for text, target, passed in checks:
        ok.append(passed)
        print(f"  {text:<48} target {target:<8} {'PASS' if passed else 'FAIL'}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-bots", type=int, default=100, help="bots to ramp to (100)")
    parser.add_argument("--step", type=int, default=10, help="bots added between measurements")
    parser.add_argument("--pool-size", type=int, default=10, help="bots per pool (10)")
    parser.add_argument("--sse", type=int, default=20, help="dashboard streams kept open (20)")
    parser.add_argument("--requests", type=int, default=20, help="P1 calls per step (20)")
    parser.add_argument("--settle", type=float, default=30, help="trading seconds per step")
    parser.add_argument(
        "--markets", type=int, nargs="+", default=[0, 2000],
        help="sandbox catalogues, one run each (0 = the 36 regular markets; default 0 2000)",
    )  # fmt: skip
    parser.add_argument(
        "--until-limit", action="store_true",
        help="keep ramping past --max-bots until the knee (or memory runs out)",
    )  # fmt: skip
    parser.add_argument(
        "--separate", type=int, default=None,
        help="separate freqtrade processes to compare (default: the largest step memory allows)",
    )  # fmt: skip
    parser.add_argument(
        "--profile-bots", type=int, default=3,
        help="after the last step, py-spy this many bots (0 = no profile; default 3)",
    )  # fmt: skip
    parser.add_argument(
        "--profile-seconds", type=float, default=30, help="how long the profile samples (30)"
    )
    parser.add_argument(
        "--nice-ab", type=int, default=5, metavar="ROUNDS",
        help="after the last step, hot adds with the bots at nice 0 vs the pools' bot nice,"
        " alternating, this many rounds each (needs root; 0 = off; default 5)",
    )  # fmt: skip
    parser.add_argument(
        "--ksm", type=int, default=DEFAULT_KSM_PAGES, metavar="PAGES",
        help="run the host's ksmd at PAGES pages per 20 ms for the ramp (the pools' bots opt"
        " in) and measure the last step again after two full scans (needs root; 0 = leave"
        f" ksmd as the host has it; default {DEFAULT_KSM_PAGES})",
    )  # fmt: skip
    parser.add_argument("--json", action="store_true", help="print machine-readable figures")
    args = parser.parse_args()
    if args.ksm and not ksmd.available():
        parser.error("--ksm needs root and a kernel with KSM (or pass --ksm 0)")
    results = [asyncio.run(run_catalogue(args, markets)) for markets in args.markets]
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    for result in results:
        report(result)
    if len(results) > 1:
        print("\nPSS per bot by catalogue (last step):")
        for result in results:
            print(
                f"  {result['markets']!s:>8} markets: {result['targets']['marginal_mib']:.1f} MiB"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())

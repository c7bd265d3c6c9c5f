"""The pool's Prometheus collector, parsed back with prometheus_client's own text parser."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from runtime.memory import (
    ProcessSample,
    cgroup_memory_limit,
    parse_cpu_seconds,
    parse_rollup,
    read_process,
)
from runtime.metrics import PoolMetrics, ScrapeSources, exit_class, registry_for
from runtime.rpc.app import create_app
from runtime.states import State
from runtime.status import BotSnapshot, PoolSnapshot
from tests.helpers import async_wait_until
from tests.runtime.conftest import AUTH, bot_body
from tests.runtime.fakes import FakeLauncher
from tests.runtime.test_rpc_commands import expect

ClientFactory = Callable[..., Awaitable[TestClient[Any, Any]]]
MiB = 2**20
SUPERVISOR, WARM = 10, 11


def _bot(bot_id: str, state: State, pid: int | None, **extra: Any) -> BotSnapshot:
    values: dict[str, Any] = {
        "bot_id": bot_id,
        "owner": "alice",
        "state": state,
        "desired": "running",
        "busy": None,
        "pid": pid,
        "api_port": 18100,
        "api_username": "u",
        "api_password": "p",
        "uptime_s": None,
        "restarts": 0,
        "last_exit": None,
        "crash_code": None,
        "crash_reason": None,
        "fatal_reason": None,
        "folder": "/tmp/x",
        "spec": {},
        "strategy_applied": None,
        "strategy_applied_at": None,
    }
    values.update(extra)
    return BotSnapshot(**values)


def _pool(*bots: BotSnapshot) -> PoolSnapshot:
    return PoolSnapshot(
        pool_id="p1",
        capacity=4,
        accepting=True,
        forkserver_pid=WARM,
        started_at=0.0,
        bots=bots,
    )


def _fake_proc(samples: dict[int, ProcessSample]) -> Callable[[int | None], ProcessSample | None]:
    return lambda pid: None if pid is None else samples.get(pid)


def _parse(text: str) -> dict[str, tuple[str, list[Sample]]]:
    return {f.name: (f.type, f.samples) for f in text_string_to_metric_families(text)}


def _values(families: dict[str, tuple[str, list[Sample]]], name: str) -> dict[str, float]:
    """Samples of one family keyed by `name{label=value,...}` (labels sorted)."""
    out = {}
    for sample in families[name][1]:
        labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
        out[f"{sample.name}{{{labels}}}"] = sample.value
    return out


def _scrape(pool: PoolSnapshot, metrics: PoolMetrics | None, sources: ScrapeSources) -> str:
    return generate_latest(registry_for(pool, metrics, sources)).decode()


def test_a_snapshot_exports_every_pool_metric_with_its_type_labels_and_value() -> None:
    pool = _pool(
        _bot("a", State.RUNNING, 100, restarts=2, crash_code=-9, crash_reason="killed by SIGKILL"),
        _bot("b", State.BACKOFF, None, restarts=1, crash_code=3, crash_reason="exited with 3"),
        _bot("c", State.STOPPED, None, desired="stopped", last_exit="stopped (exited with 0)"),
        _bot("gone", State.RUNNING, 102),  # its pid vanished between snapshot and scrape
    )
    proc = {
        100: ProcessSample(rss_bytes=300 * MiB, pss_bytes=120 * MiB, cpu_seconds=12.5),
        SUPERVISOR: ProcessSample(rss_bytes=90 * MiB, pss_bytes=60 * MiB, cpu_seconds=3.0),
        WARM: ProcessSample(rss_bytes=250 * MiB, pss_bytes=80 * MiB, cpu_seconds=4.0),
    }
    sources = ScrapeSources(
        memory_limit_setting=0,
        read=_fake_proc(proc),
        cgroup_limit=lambda: 2048 * MiB,
        own_pid=SUPERVISOR,
    )
    families = _parse(_scrape(pool, PoolMetrics("p1"), sources))

    types = {name: kind for name, (kind, _) in families.items()}
    assert types == {
        "cryptopilot_pool_capacity": "gauge",
        "cryptopilot_pool_bots": "gauge",
        "cryptopilot_bot_up": "gauge",
        "cryptopilot_bot_desired_running": "gauge",
        "cryptopilot_bot_restarts": "counter",
        "cryptopilot_bot_last_exit": "gauge",
        "cryptopilot_bot_resident_memory_bytes": "gauge",
        "cryptopilot_bot_pss_bytes": "gauge",
        "cryptopilot_bot_cpu_seconds": "counter",
        "cryptopilot_pool_process_resident_memory_bytes": "gauge",
        "cryptopilot_pool_process_pss_bytes": "gauge",
        "cryptopilot_pool_process_cpu_seconds": "counter",
        "cryptopilot_pool_memory_pss_bytes": "gauge",
        "cryptopilot_pool_memory_limit_bytes": "gauge",
        "cryptopilot_pool_hot_add_duration_seconds": "histogram",
        # prometheus_client's start time of the histogram, as the gateway's have too
        "cryptopilot_pool_hot_add_duration_seconds_created": "gauge",
    }
    assert _values(families, "cryptopilot_bot_up") == {
        "cryptopilot_bot_up{bot_id=a,pool=p1}": 1,
        "cryptopilot_bot_up{bot_id=b,pool=p1}": 0,
        "cryptopilot_bot_up{bot_id=c,pool=p1}": 0,
        "cryptopilot_bot_up{bot_id=gone,pool=p1}": 1,
    }
    desired = _values(families, "cryptopilot_bot_desired_running")
    assert [desired[f"cryptopilot_bot_desired_running{{bot_id={b},pool=p1}}"] for b in "abc"] == [
        1,
        1,
        0,
    ]
    restarts = _values(families, "cryptopilot_bot_restarts")
    assert restarts["cryptopilot_bot_restarts_total{bot_id=a,pool=p1}"] == 2
    assert restarts["cryptopilot_bot_restarts_total{bot_id=b,pool=p1}"] == 1
    assert _values(families, "cryptopilot_bot_last_exit") == {
        "cryptopilot_bot_last_exit{bot_id=a,pool=p1,reason=signal}": 1,
        "cryptopilot_bot_last_exit{bot_id=b,pool=p1,reason=exit_code}": 1,
    }
    # Only the bot whose process could be read has memory and CPU series.
    assert _values(families, "cryptopilot_bot_pss_bytes") == {
        "cryptopilot_bot_pss_bytes{bot_id=a,pool=p1}": 120 * MiB
    }
    assert _values(families, "cryptopilot_bot_resident_memory_bytes") == {
        "cryptopilot_bot_resident_memory_bytes{bot_id=a,pool=p1}": 300 * MiB
    }
    assert _values(families, "cryptopilot_bot_cpu_seconds") == {
        "cryptopilot_bot_cpu_seconds_total{bot_id=a,pool=p1}": 12.5
    }
    assert _values(families, "cryptopilot_pool_process_pss_bytes") == {
        "cryptopilot_pool_process_pss_bytes{pool=p1,process=supervisor}": 60 * MiB,
        "cryptopilot_pool_process_pss_bytes{pool=p1,process=warm_parent}": 80 * MiB,
    }
    assert _values(families, "cryptopilot_pool_process_resident_memory_bytes") == {
        "cryptopilot_pool_process_resident_memory_bytes{pool=p1,process=supervisor}": 90 * MiB,
        "cryptopilot_pool_process_resident_memory_bytes{pool=p1,process=warm_parent}": 250 * MiB,
    }
    assert _values(families, "cryptopilot_pool_process_cpu_seconds") == {
        "cryptopilot_pool_process_cpu_seconds_total{pool=p1,process=supervisor}": 3.0,
        "cryptopilot_pool_process_cpu_seconds_total{pool=p1,process=warm_parent}": 4.0,
    }
    assert _values(families, "cryptopilot_pool_memory_pss_bytes") == {
        "cryptopilot_pool_memory_pss_bytes{pool=p1}": (60 + 80 + 120) * MiB
    }
    assert _values(families, "cryptopilot_pool_memory_limit_bytes") == {
        "cryptopilot_pool_memory_limit_bytes{pool=p1}": 2048 * MiB
    }
    by_state = _values(families, "cryptopilot_pool_bots")
    assert by_state["cryptopilot_pool_bots{pool=p1,state=running}"] == 2
    assert sum(by_state.values()) == 4 and len(by_state) == len(State)
    hot_add = _values(families, "cryptopilot_pool_hot_add_duration_seconds")
    assert hot_add["cryptopilot_pool_hot_add_duration_seconds_count{pool=p1}"] == 0


def test_memory_limit_falls_back_to_the_setting_and_is_absent_without_either() -> None:
    pool = _pool()
    reader = _fake_proc({})
    setting = ScrapeSources(memory_limit_setting=512 * MiB, read=reader, cgroup_limit=lambda: None)
    values = _values(_parse(_scrape(pool, None, setting)), "cryptopilot_pool_memory_limit_bytes")
    assert values == {"cryptopilot_pool_memory_limit_bytes{pool=p1}": 512 * MiB}
    neither = replace(setting, memory_limit_setting=0)
    families = _parse(_scrape(pool, None, neither))
    assert families["cryptopilot_pool_memory_limit_bytes"][1] == []
    assert "cryptopilot_pool_hot_add_duration_seconds" not in families  # no PoolMetrics given
    # Processes that cannot be read leave their series out; the pool total is then 0.
    assert families["cryptopilot_pool_process_pss_bytes"][1] == []
    assert _values(families, "cryptopilot_pool_memory_pss_bytes") == {
        "cryptopilot_pool_memory_pss_bytes{pool=p1}": 0
    }


def test_exit_classes() -> None:
    assert exit_class(_bot("a", State.RUNNING, 1)) is None
    assert exit_class(_bot("a", State.EXITED, None, crash_code=-9, crash_reason="x")) == "signal"
    assert exit_class(_bot("a", State.EXITED, None, crash_code=1, crash_reason="x")) == "exit_code"
    assert exit_class(_bot("a", State.EXITED, None, crash_code=0, crash_reason="x")) == "exit_code"
    stall = "stalled: no loop pass for 95s (throttle 5s)"
    killed = _bot("a", State.BACKOFF, None, crash_code=-9, crash_reason=stall, last_exit=stall)
    assert exit_class(killed) == "stalled"
    # A later requested stop keeps the class of the last exit nobody asked for.
    stopped = replace(killed, state=State.STOPPED, last_exit="stopped (exited with 0)")
    assert exit_class(stopped) == "stalled"
    # The watchdog may also record the stall after the fact, as the bot's last exit.
    after = _bot("a", State.BACKOFF, None, crash_code=-9, crash_reason="killed", last_exit=stall)
    assert exit_class(after) == "stalled"


def test_hot_add_histogram_times_add_to_running() -> None:
    now = [100.0]
    metrics = PoolMetrics("p1", clock=lambda: now[0])
    metrics.adding("a", metrics.now())
    metrics.changed("a", State.STARTING)
    metrics.changed("a", State.EXITED)  # a crash on the way is part of the latency
    now[0] = 102.5
    metrics.changed("a", State.RUNNING)
    metrics.changed("a", State.RUNNING)  # a later restart is no add
    metrics.adding("b", metrics.now())
    metrics.changed("b", State.FATAL)  # never ran: not observed
    now[0] = 200.0
    metrics.changed("b", State.RUNNING)
    families = _parse(_scrape(_pool(), metrics, ScrapeSources(read=_fake_proc({}))))
    hot_add = _values(families, "cryptopilot_pool_hot_add_duration_seconds")
    assert hot_add["cryptopilot_pool_hot_add_duration_seconds_count{pool=p1}"] == 1
    assert hot_add["cryptopilot_pool_hot_add_duration_seconds_sum{pool=p1}"] == 2.5
    assert hot_add["cryptopilot_pool_hot_add_duration_seconds_bucket{le=2.0,pool=p1}"] == 0
    assert hot_add["cryptopilot_pool_hot_add_duration_seconds_bucket{le=3.0,pool=p1}"] == 1
    assert hot_add["cryptopilot_pool_hot_add_duration_seconds_bucket{le=0.1,pool=p1}"] == 0


def test_read_process_reads_this_process_and_not_a_reaped_one() -> None:
    sample = read_process(os.getpid())
    assert sample is not None
    assert sample.rss_bytes >= sample.pss_bytes > 0
    assert sample.cpu_seconds > 0
    child = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    assert read_process(int(child.stdout)) is None  # exited and reaped
    assert read_process(None) is None


def test_proc_parsers() -> None:
    assert parse_rollup("00400000-7ff [rollup]\nRss:   1708 kB\nPss:  254 kB\nbad line\n") == {
        "Rss": 1708 * 1024,
        "Pss": 254 * 1024,
    }
    ticks = os.sysconf("SC_CLK_TCK")
    # A command name may hold spaces and parentheses; utime and stime are fields 14 and 15.
    stat = f"42 (odd ) name) S 1 42 42 0 -1 4194560 100 0 0 0 {3 * ticks} {ticks} 0 0 20 0 1"
    assert parse_cpu_seconds(stat) == 4.0
    assert parse_cpu_seconds("42 (short") is None
    assert parse_cpu_seconds("42 (x) S 1 2") is None


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_cgroup_v2_limit_is_the_smallest_from_own_cgroup_up(tmp_path: Path) -> None:
    root, own = tmp_path / "cgroup", tmp_path / "self-cgroup"
    _write(own, "0::/pools/pool-1\n")
    _write(root / "pools/pool-1/memory.max", "max\n")
    assert cgroup_memory_limit(own, root) is None
    _write(root / "pools/memory.max", "4294967296\n")
    assert cgroup_memory_limit(own, root) == 4 * 2**30
    _write(root / "pools/pool-1/memory.max", "1073741824\n")
    assert cgroup_memory_limit(own, root) == 2**30
    _write(own, "0::/\n")  # a container's own namespace: its limit is at the root
    _write(root / "memory.max", "536870912\n")
    assert cgroup_memory_limit(own, root) == 512 * MiB


def test_cgroup_v1_and_hybrid_and_missing(tmp_path: Path) -> None:
    root, own = tmp_path / "cgroup", tmp_path / "self-cgroup"
    assert cgroup_memory_limit(own, root) is None  # no /proc/self/cgroup at all
    _write(own, "9:name=systemd:/\n4:memory:/docker/abc\n0::/\n")
    assert cgroup_memory_limit(own, root) is None  # no files: no limit
    _write(root / "memory/docker/abc/memory.limit_in_bytes", "9223372036854771712\n")
    assert cgroup_memory_limit(own, root) is None  # v1's "unlimited"
    _write(root / "memory/docker/abc/memory.limit_in_bytes", "2147483648\n")
    assert cgroup_memory_limit(own, root) == 2 * 2**30
    _write(own, "4:cpu,memory:/docker/abc\n")  # co-mounted controllers
    assert cgroup_memory_limit(own, root) == 2 * 2**30


async def _ping_server(port: int) -> web.AppRunner:
    """Answers a bot's readiness ping on its API port, as FreqTrade's API does."""

    async def ping(_: web.Request) -> web.Response:
        return web.json_response({"status": "pong"})

    app = web.Application()
    app.router.add_get("/api/v1/ping", ping)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner


async def test_rpc_metrics_time_the_add_and_classify_a_kill(
    aiohttp_client: ClientFactory, make_settings: Any
) -> None:
    launcher = FakeLauncher()
    settings = make_settings(memory_limit_bytes=3 * 2**30)
    client = await aiohttp_client(create_app(settings, launcher), headers=AUTH)
    bot = (await expect(await client.post("/bots", json=bot_body("b1")), 201))["bot"]
    api = await _ping_server(bot["api_port"])
    try:

        async def scrape() -> dict[str, tuple[str, list[Sample]]]:
            response = await client.get("/metrics")
            assert response.status == 200
            return _parse(await response.text())

        async def up() -> dict[str, tuple[str, list[Sample]]] | None:
            families = await scrape()
            ok = _values(families, "cryptopilot_bot_up")["cryptopilot_bot_up{bot_id=b1,pool=test}"]
            return families if ok == 1 else None

        families = await async_wait_until(up, timeout=10, interval=0.05, what="b1 up")
        hot_add = _values(families, "cryptopilot_pool_hot_add_duration_seconds")
        assert hot_add["cryptopilot_pool_hot_add_duration_seconds_count{pool=test}"] == 1
        assert 0 < hot_add["cryptopilot_pool_hot_add_duration_seconds_sum{pool=test}"] < 10
        assert families["cryptopilot_bot_last_exit"][1] == []
        limit = _values(families, "cryptopilot_pool_memory_limit_bytes")
        expected = cgroup_memory_limit() or 3 * 2**30  # the host's cgroup wins over the setting
        assert limit == {"cryptopilot_pool_memory_limit_bytes{pool=test}": expected}
        assert "cryptopilot_pool_sync_lag_seconds" not in families  # sync is off

        launcher.children[-1].kill()  # SIGKILL

        async def restarted() -> dict[str, tuple[str, list[Sample]]] | None:
            families = await scrape()
            restarts = _values(families, "cryptopilot_bot_restarts")
            again = restarts["cryptopilot_bot_restarts_total{bot_id=b1,pool=test}"] >= 1
            return families if again and len(launcher.children) == 2 else None

        families = await async_wait_until(restarted, timeout=10, interval=0.05, what="restart")
        assert _values(families, "cryptopilot_bot_last_exit") == {
            "cryptopilot_bot_last_exit{bot_id=b1,pool=test,reason=signal}": 1
        }
        # The restart after the crash is no second hot add.
        families = await async_wait_until(up, timeout=10, interval=0.05, what="b1 up again")
        hot_add = _values(families, "cryptopilot_pool_hot_add_duration_seconds")
        assert hot_add["cryptopilot_pool_hot_add_duration_seconds_count{pool=test}"] == 1

        # A requested stop is no crash: the last unrequested exit stays what it was.
        await expect(await client.post("/bots/b1/stop"), 200)
        families = await scrape()
        assert _values(families, "cryptopilot_bot_last_exit") == {
            "cryptopilot_bot_last_exit{bot_id=b1,pool=test,reason=signal}": 1
        }
        assert _values(families, "cryptopilot_bot_up") == {
            "cryptopilot_bot_up{bot_id=b1,pool=test}": 0
        }
        desired = _values(families, "cryptopilot_bot_desired_running")
        assert desired == {"cryptopilot_bot_desired_running{bot_id=b1,pool=test}": 0}
    finally:
        await api.cleanup()

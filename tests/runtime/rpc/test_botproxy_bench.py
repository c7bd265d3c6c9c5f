"""bench/botroute.py measures both ways to a real bot and reports sane figures."""

from __future__ import annotations

import pytest

from bench.botroute import measure
from tests.runtime.rpc.conftest import LIVE, RoutedPool


@pytest.mark.e2e
async def test_both_ways_are_timed_on_the_same_bot(routed_pool: RoutedPool) -> None:
    view = routed_pool.views[LIVE]
    direct = f"http://127.0.0.1:{view['api_port']}"
    found = await measure(direct, view["api"]["url"], requests=20, warmup=2)
    assert set(found) == {"direct", "pool"}
    for latency in found.values():
        assert latency.requests == 20
        assert 0 < latency.p50_ms <= latency.p90_ms <= latency.p99_ms < 5_000

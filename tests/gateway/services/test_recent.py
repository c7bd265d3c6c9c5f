"""RecentCache: fresh values are reused, stale ones read again, racing writes never hidden."""

from __future__ import annotations

import asyncio

from gateway.services.recent import RecentCache


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Loader:
    """Counts loads and answers what `value` holds at the time."""

    def __init__(self, value: str | None) -> None:
        self.value = value
        self.calls = 0

    async def __call__(self) -> str | None:
        self.calls += 1
        return self.value


async def test_a_fresh_value_is_reused_and_a_stale_one_read_again() -> None:
    clock = Clock()
    cache: RecentCache[str, str] = RecentCache(1.0, clock)
    load = Loader("v1")
    assert await cache.get("k", load) == "v1"
    load.value = "v2"
    clock.now += 0.9
    assert await cache.get("k", load) == "v1" and load.calls == 1
    clock.now += 0.2
    assert await cache.get("k", load) == "v2" and load.calls == 2


async def test_absent_values_and_a_zero_ttl_are_never_kept() -> None:
    cache: RecentCache[str, str] = RecentCache(1.0, Clock())
    missing = Loader(None)
    assert await cache.get("k", missing) is None
    assert await cache.get("k", missing) is None and missing.calls == 2
    off: RecentCache[str, str] = RecentCache(0.0, Clock())
    load = Loader("v")
    await off.get("k", load)
    await off.get("k", load)
    assert load.calls == 2


async def test_invalidation_drops_the_value_and_a_read_it_raced() -> None:
    cache: RecentCache[str, str] = RecentCache(10.0, Clock())
    load = Loader("old")
    await cache.get("k", load)
    cache.invalidate("k")
    load.value = "new"
    assert await cache.get("k", load) == "new"

    # A read that started before a write and ends after it must not be kept.
    started, release = asyncio.Event(), asyncio.Event()

    async def slow_old() -> str:
        started.set()
        await release.wait()
        return "before-the-write"

    cache.invalidate("k")
    reader = asyncio.create_task(cache.get("k", slow_old))
    await started.wait()
    cache.invalidate("k")  # the write commits while the read is under way
    release.set()
    assert await reader == "before-the-write"  # that caller gets what it read...
    load.value = "after-the-write"
    assert await cache.get("k", load) == "after-the-write"  # ...but nobody after it


async def test_the_oldest_entry_makes_room() -> None:
    cache: RecentCache[int, str] = RecentCache(10.0, Clock(), max_entries=2)
    loads = {key: Loader(f"v{key}") for key in (1, 2, 3)}
    for key in (1, 2, 3):
        await cache.get(key, loads[key])
    await cache.get(1, loads[1])
    await cache.get(3, loads[3])
    assert loads[1].calls == 2 and loads[3].calls == 1

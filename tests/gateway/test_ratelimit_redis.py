"""RedisLimiter on the real Redis: counts, windows and expiry from Redis, and a Redis that fails."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from redis.asyncio import Redis

from envsettings import SettingsError
from gateway.ratelimit import Quota
from gateway.ratelimit_redis import TIMEOUT_SECONDS, RedisLimiter, describe_url
from gateway.settings import Settings
from tests.helpers import async_wait_until, free_port


class Errors:
    """Counts `on_error` calls (the gateway passes its Prometheus counter)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self) -> None:
        self.count += 1


@pytest.fixture
async def make_limiter(
    redis_url: str, redis_keys: str
) -> AsyncIterator[Callable[..., RedisLimiter]]:
    """Factory: a limiter (its own client, as a replica has) under this test's key prefix."""
    made: list[RedisLimiter] = []

    def make(url: str = redis_url, **kwargs: Any) -> RedisLimiter:
        limiter = RedisLimiter(_client(url), prefix=redis_keys, **kwargs)
        made.append(limiter)
        return limiter

    yield make
    for limiter in made:
        await limiter.close()


def _client(url: str) -> Redis:
    return Redis.from_url(url, socket_timeout=TIMEOUT_SECONDS, socket_connect_timeout=1)


async def test_hits_count_in_one_window_that_expires_in_redis(
    make_limiter: Callable[..., RedisLimiter], redis_keys: str
) -> None:
    limiter = make_limiter()
    quota = Quota(limit=2, window=1)
    first, second, third = [await limiter.hit("auth:ip:10.0.0.1", quota) for _ in range(3)]
    assert (first.allowed, first.limit, first.remaining, first.reset) == (True, 2, 1, 1)
    assert (second.allowed, second.remaining) == (True, 0)
    assert (third.allowed, third.remaining, third.reset) == (False, 0, 1)
    assert third.headers()["Retry-After"] == "1"
    assert (await limiter.hit("auth:ip:10.0.0.2", quota)).remaining == 1, "keys are separate"
    # The key is the namespaced one, with the window as its expiry; Redis drops it by itself.
    key = f"{redis_keys}auth:ip:10.0.0.1"
    assert await limiter.client.get(key) == b"3"
    assert 0 < await limiter.client.pttl(key) <= 1000
    await async_wait_until(
        lambda: _gone(limiter.client, key), timeout=5, interval=0.05, what="window expired"
    )
    fresh = await limiter.hit("auth:ip:10.0.0.1", quota)
    assert (fresh.allowed, fresh.remaining) == (True, 1)


async def _gone(client: Redis, key: str) -> bool:
    return not await client.exists(key)


async def test_the_window_left_comes_from_redis_not_from_the_replica_clock(
    make_limiter: Callable[..., RedisLimiter], redis_keys: str
) -> None:
    # A replica whose clock is far off still reports what Redis holds: 5 hits, 30 s left.
    limiter = make_limiter(clock=lambda: 1e12)
    await limiter.client.set(f"{redis_keys}account:user:u1", 5, px=30_000)
    decision = await limiter.hit("account:user:u1", Quota(limit=10, window=60))
    assert (decision.allowed, decision.remaining) == (True, 4)
    assert 29 <= decision.reset <= 30


async def test_a_counter_left_without_expiry_gets_one(
    make_limiter: Callable[..., RedisLimiter], redis_keys: str
) -> None:
    limiter = make_limiter()
    key = f"{redis_keys}default:user:u2"
    await limiter.client.set(key, 7)  # no expiry: it would never reset
    decision = await limiter.hit("default:user:u2", Quota(limit=5, window=60))
    assert (decision.allowed, decision.remaining, decision.reset) == (False, 0, 60)
    assert 59_000 < await limiter.client.pttl(key) <= 60_000


async def test_two_replicas_share_one_count_atomically(
    make_limiter: Callable[..., RedisLimiter],
) -> None:
    replica_a, replica_b = make_limiter(), make_limiter()
    quota = Quota(limit=10, window=60)
    decisions = await asyncio.gather(
        *(replica.hit("admin:user:u3", quota) for replica in (replica_a, replica_b) * 15)
    )
    assert sum(d.allowed for d in decisions) == 10
    assert sorted(d.remaining for d in decisions if d.allowed) == list(range(10))
    assert all(d.remaining == 0 for d in decisions if not d.allowed)


async def test_an_unreachable_redis_limits_in_memory_and_counts_the_error(
    make_limiter: Callable[..., RedisLimiter], caplog: pytest.LogCaptureFixture
) -> None:
    now = [100.0]
    errors = Errors()
    limiter = make_limiter(
        f"redis://127.0.0.1:{free_port()}/0", on_error=errors, clock=lambda: now[0]
    )
    quota = Quota(limit=2, window=60)
    with caplog.at_level(logging.WARNING, logger="gateway.ratelimit_redis"):
        decisions = [await limiter.hit("auth:ip:10.0.0.9", quota) for _ in range(3)]
    # Served, and still limited: this process's memory counted the hits.
    assert [(d.allowed, d.remaining) for d in decisions] == [(True, 1), (True, 0), (False, 0)]
    # One failed try: the next hits within the retry interval did not wait for Redis again.
    assert errors.count == 1
    now[0] += 1.5
    assert not (await limiter.hit("auth:ip:10.0.0.9", quota)).allowed
    assert errors.count == 2, "Redis is tried again after the retry interval"
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1, "one warning per minute at most"
    assert "counting in this process's memory" in warnings[0]


async def test_a_redis_that_hangs_costs_one_timeout_then_none(
    make_limiter: Callable[..., RedisLimiter],
) -> None:
    # A server that accepts connections and never answers, like a wedged Redis.
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # until the client gives up
        writer.close()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    errors = Errors()
    limiter = make_limiter(f"redis://127.0.0.1:{port}/0", on_error=errors)
    quota = Quota(limit=100, window=60)
    try:
        started = time.monotonic()
        assert (await limiter.hit("default:ip:10.0.0.8", quota)).allowed
        first = time.monotonic() - started
        started = time.monotonic()
        for _ in range(20):
            assert (await limiter.hit("default:ip:10.0.0.8", quota)).allowed
        rest = time.monotonic() - started
    finally:
        server.close()
    assert TIMEOUT_SECONDS * 0.9 <= first < TIMEOUT_SECONDS + 1.0
    assert rest < 0.2, "within the retry interval no hit waits for Redis"
    assert errors.count == 1


async def test_from_url_pings_and_describes_without_the_password(redis_url: str) -> None:
    limiter = RedisLimiter.from_url(redis_url)
    dead = RedisLimiter.from_url(f"redis://:s3cret@127.0.0.1:{free_port()}/2")
    try:
        assert await limiter.ping()
        assert not await dead.ping()
    finally:
        await limiter.close()
        await dead.close()
    assert (
        describe_url("redis://user:s3cret@cache.internal:6380/2") == "redis://cache.internal:6380/2"
    )
    assert describe_url("rediss://:s3cret@cache.internal/0") == "rediss://cache.internal/0"
    assert describe_url("unix:///run/redis.sock?db=1") == "unix:///run/redis.sock"


def test_the_redis_url_setting_is_checked_and_never_echoed() -> None:
    assert Settings().redis_url.get_secret_value() == "", "in memory by default"
    for url in ("redis://127.0.0.1:6379/0", "rediss://:pw@cache:6380/1", "unix:///run/r.sock"):
        settings = Settings.from_env({"CRYPTOPILOT_REDIS_URL": url})
        assert settings.redis_url.get_secret_value() == url
        assert settings.masked()["redis_url"] == "***"
    with pytest.raises(SettingsError, match="CRYPTOPILOT_REDIS_URL: ") as refused:
        Settings.from_env({"CRYPTOPILOT_REDIS_URL": "http://:s3cret@127.0.0.1:6379"})
    assert "s3cret" not in str(refused.value)
    assert "redis://" in str(refused.value)


class Link:
    """A TCP link to the real Redis that a test can cut and restore (same port both times)."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: list[asyncio.StreamWriter] = []

    async def up(self) -> None:
        self._server = await asyncio.start_server(self._pipe, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def down(self) -> None:
        assert self._server is not None
        self._server.close()
        for writer in self._writers:
            writer.close()
        self._writers.clear()
        await self._server.wait_closed()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self.target)
        self._writers += [writer, up_writer]

        async def copy(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            except OSError:
                pass
            finally:
                dst.close()

        await asyncio.gather(copy(reader, up_writer), copy(up_reader, writer))


async def test_hits_are_shared_again_once_redis_answers_again(
    make_limiter: Callable[..., RedisLimiter],
    redis_url: str,
    redis_keys: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    parts = urlsplit(redis_url)
    link = Link((parts.hostname or "127.0.0.1", parts.port or 6379))
    await link.up()
    now = [100.0]
    errors = Errors()
    limiter = make_limiter(
        f"redis://127.0.0.1:{link.port}/0", on_error=errors, clock=lambda: now[0]
    )
    direct = make_limiter()
    quota = Quota(limit=10, window=60)
    key = f"{redis_keys}account:user:u4"
    assert (await limiter.hit("account:user:u4", quota)).remaining == 9
    await link.down()
    with caplog.at_level(logging.WARNING, logger="gateway.ratelimit_redis"):
        cut = await limiter.hit("account:user:u4", quota)
        assert (cut.allowed, cut.remaining) == (True, 9), "counted in memory: its first hit"
        assert errors.count == 1
        assert await direct.client.get(key) == b"1"
        await link.up()
        now[0] += 1.5
        back = await limiter.hit("account:user:u4", quota)
    assert back.remaining == 8, "Redis counts again, from where it was"
    assert await direct.client.get(key) == b"2"
    assert errors.count == 1
    messages = [r.getMessage() for r in caplog.records]
    assert any("Redis answers again" in m for m in messages)
    await link.down()

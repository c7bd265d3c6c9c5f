"""Rate limits shared by every gateway replica: fixed windows counted in Redis.

One hit is one round trip: a Lua script increments the window's counter, gives a new window
its expiry and reads what is left of it, atomically. The count and the window both come from
Redis, so replicas agree whatever their clocks say, and keys (`cryptopilot:rl:<group>:<who>`)
expire by themselves.

When Redis does not answer (down, unreachable, slower than `TIMEOUT_SECONDS`) a request is
never refused or failed for it: the hit is counted in this process's memory instead (each
replica then limits on its own, so a client may get up to N per replica), the error is
reported to `on_error` (a Prometheus counter), a warning is logged at most every
`WARN_INTERVAL_SECONDS`, and Redis is tried again after `RETRY_INTERVAL_SECONDS`, so a Redis
that hangs costs at most one slow request a second per replica.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from urllib.parse import urlsplit

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from gateway.ratelimit import Decision, FixedWindowLimiter, Quota, RateLimiter

logger = logging.getLogger(__name__)

KEY_PREFIX = "cryptopilot:rl:"
TIMEOUT_SECONDS = 0.5
RETRY_INTERVAL_SECONDS = 1.0
WARN_INTERVAL_SECONDS = 60.0

# KEYS[1] the window's counter, ARGV[1] the window in ms -> {count, ms left in the window}.
# A key without an expiry (new, or left by an interrupted writer) gets one: windows always end.
HIT_SCRIPT = """
local count = redis.call('INCR', KEYS[1])
local left = redis.call('PTTL', KEYS[1])
if left < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  left = tonumber(ARGV[1])
end
return {count, left}
"""


def _nothing() -> None:
    return None


class RedisLimiter:
    """Fixed windows per key in Redis, with the memory limiter's `Decision` semantics."""

    def __init__(
        self,
        client: Redis,
        *,
        prefix: str = KEY_PREFIX,
        on_error: Callable[[], None] = _nothing,
        fallback: RateLimiter | None = None,
        clock: Callable[[], float] = time.monotonic,
        retry_interval: float = RETRY_INTERVAL_SECONDS,
        warn_interval: float = WARN_INTERVAL_SECONDS,
    ) -> None:
        self.client = client
        self.prefix = prefix
        self._script = client.register_script(HIT_SCRIPT)
        self._on_error = on_error
        self._fallback = fallback if fallback is not None else FixedWindowLimiter()
        self._clock = clock
        self._retry_interval = retry_interval
        self._warn_interval = warn_interval
        self._down_until = -math.inf
        self._warned_at = -math.inf
        self._failing = False

    @classmethod
    def from_url(
        cls, url: str, *, prefix: str = KEY_PREFIX, on_error: Callable[[], None] = _nothing
    ) -> RedisLimiter:
        """A limiter on a new client of `url`: one try of at most `TIMEOUT_SECONDS` a hit."""
        client = Redis.from_url(
            url,
            socket_timeout=TIMEOUT_SECONDS,
            socket_connect_timeout=TIMEOUT_SECONDS,
            retry=Retry(NoBackoff(), 0),
        )
        return cls(client, prefix=prefix, on_error=on_error)

    async def ping(self) -> bool:
        """Whether Redis answers now (for the start-up log; hits never depend on it)."""
        try:
            return bool(await self.client.ping())
        except (RedisError, OSError):
            return False

    async def hit(self, key: str, quota: Quota) -> Decision:
        now = self._clock()
        if now < self._down_until:
            return await self._fallback.hit(key, quota)
        try:
            count, left_ms = await self._script(
                keys=[self.prefix + key], args=[quota.window * 1000]
            )
        except (RedisError, OSError) as exc:  # TimeoutError is an OSError
            self._failed(exc, now)
            return await self._fallback.hit(key, quota)
        if self._failing:
            self._failing = False
            logger.warning("Redis answers again: rate limits are shared across replicas again")
        count, left_ms = int(count), int(left_ms)
        reset = max(1, math.ceil(left_ms / 1000))
        return Decision(count <= quota.limit, quota.limit, max(0, quota.limit - count), reset)

    async def close(self) -> None:
        await self.client.aclose()

    def _failed(self, exc: BaseException, now: float) -> None:
        self._on_error()
        self._down_until = now + self._retry_interval
        self._failing = True
        if now - self._warned_at >= self._warn_interval:
            self._warned_at = now
            logger.warning(
                "Redis did not answer a rate-limit hit (%s: %s): counting in this process's "
                "memory until it does (limits are per replica meanwhile)",
                type(exc).__name__,
                exc,
            )


def describe_url(url: str) -> str:
    """`url` without user name, password and query (which may hold a password), for logs."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return f"{parts.scheme}://{netloc}{parts.path}"

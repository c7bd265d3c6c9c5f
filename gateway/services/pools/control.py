"""One pool's control API as the gateway uses it: every call, its failures as domain errors.

The services never see `PoolClient`, aiohttp or the pool's own error type: each call here
answers with the pool's reply or raises one of the gateway's errors, decided once:

- the pool refused the request (4xx): `BadInput` (400, 422), `NotFound` (404) or `Conflict`
  (409), with the pool's code and message, so a service can switch on `code`;
- the pool refused the gateway's token (401, 403), failed (5xx) or answered nonsense:
  `Unavailable` 503 `POOL_UNAVAILABLE`, naming the pool;
- no answer (connection refused or reset, timeout): `PoolUnreachable` (gateway/errors.py), an
  `Unavailable` whose call may still have happened on the pool.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterable
from typing import Any, TypeVar

import aiohttp

from gateway.errors import ApiError, BadInput, Conflict, NotFound, PoolUnreachable, Unavailable
from runtime.rpc.client import PoolApiError, PoolClient

T = TypeVar("T")

_REFUSALS: dict[int, type[ApiError]] = {400: BadInput, 422: BadInput, 404: NotFound, 409: Conflict}


def failure_text(exc: ApiError) -> str:
    """What went wrong, for operators (logs, pool health, reconcile rows): the cause included."""
    if isinstance(exc, PoolUnreachable):
        return f"{exc.message}: {exc.reason}"
    return exc.message


class PoolControl:
    """The gateway's handle on one pool; `close()` releases its connections."""

    def __init__(self, pool_id: str, client: PoolClient) -> None:
        self.pool_id = pool_id
        self._client = client

    @property
    def url(self) -> str:
        """The pool's control URL (without a trailing slash)."""
        return self._client.base_url

    async def close(self) -> None:
        await self._client.close()

    async def add_bot(self, spec: dict[str, Any]) -> dict[str, Any]:
        """Create and start a bot from its spec; the pool's view of it."""
        return await self._call(self._client.add_bot(spec))

    async def remove_bot(self, bot_id: str) -> None:
        """Stop the bot and delete it with its folder."""
        await self._call(self._client.remove_bot(bot_id))

    async def start_bot(self, bot_id: str) -> dict[str, Any]:
        return await self._call(self._client.start_bot(bot_id))

    async def stop_bot(self, bot_id: str) -> dict[str, Any]:
        return await self._call(self._client.stop_bot(bot_id))

    async def update_bot(
        self, bot_id: str, changes: dict[str, Any], *, restart: bool = True
    ) -> dict[str, Any]:
        """Change the bot's spec (`{"bot", "restarted", "applied", "healthy", "apply_s"}`);
        `restart=False`: at its next start. `strategy`/`strategy_version` deploy a strategy
        (runtime/rpc/commands/update_bot.py)."""
        return await self._call(self._client.update_bot(bot_id, changes, restart=restart))

    async def bot_status(self, bot_id: str) -> dict[str, Any]:
        return await self._call(self._client.bot_status(bot_id))

    async def bot_logs(self, bot_id: str, *, lines: int, level: str) -> dict[str, Any]:
        """The bot's last log records (runtime/rpc/commands/bot_logs.py): `{"bot_id",
        "lines", "level", "logs": [{"ts", "level", "logger", "message"}]}`."""
        return await self._call(self._client.bot_logs(bot_id, lines, level))

    async def list_bots(
        self,
        *,
        timeout: float | None = None,  # noqa: ASYNC109 - a limit shorter than the client's
    ) -> list[dict[str, Any]]:
        """Every bot of the pool; `timeout` caps this call below the client's own limit."""
        return await self._call(self._client.list_bots(), timeout)

    async def summaries(
        self,
        bot_ids: Iterable[str],
        *,
        closed: bool = False,
        timeout: float | None = None,  # noqa: ASYNC109 - see list_bots
    ) -> dict[str, dict[str, Any]]:
        """What these bots last published (runtime/rpc/commands/bot_summaries.py), by id."""
        return await self._call(self._client.summaries(bot_ids, closed=closed), timeout)

    async def health(
        self,
        *,
        timeout: float | None = None,  # noqa: ASYNC109 - a limit shorter than the client's
    ) -> dict[str, Any]:
        """The pool's health: capacity, bots per state, memory, CPU, `accepting`."""
        return await self._call(self._client.health(), timeout)

    async def _call(
        self,
        call: Awaitable[T],
        timeout: float | None = None,  # noqa: ASYNC109 - see list_bots
    ) -> T:
        try:
            async with asyncio.timeout(timeout):
                return await call
        except PoolApiError as exc:
            refusal = _REFUSALS.get(exc.status)
            if refusal is not None and exc.code != "BAD_RESPONSE":
                raise refusal(exc.message, exc.code) from None
            raise Unavailable(
                f"Pool {self.pool_id} failed: {exc.message}", "POOL_UNAVAILABLE"
            ) from None
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise PoolUnreachable(self.pool_id, str(exc) or type(exc).__name__) from exc

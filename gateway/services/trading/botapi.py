"""Client of the bots' own FreqTrade REST APIs: one HTTP session, a cached JWT per bot.

The gateway authenticates to each bot with the bot's user and the password derived from the
pools' token (runtime/credentials.py; HTTP Basic on `POST /api/v1/token/login`), keeps
the access token, and logs in again once when a call is answered 401 (FreqTrade's tokens
expire after 15 minutes, and a restarted bot may have new secrets). A bot that does not answer
becomes `BotOffline` (502 `BOT_OFFLINE`).

Every call carries the pools' token in `X-Pool-Token`: a pool serving its bots through its own
port (runtime/rpc/botproxy.py) demands it, and a bot reached directly ignores it. The pool's
own refusals there (bot stopped, not answering) become `BotOffline` too.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp

from gateway.errors import BadGateway
from gateway.services.trading.botstore import BotEndpoint
from runtime.botroute import POOL_REFUSALS, POOL_TOKEN_HEADER
from runtime.credentials import bot_api_password

logger = logging.getLogger(__name__)

LOGIN_PATH = "/api/v1/token/login"


class BotOffline(BadGateway):
    """The bot's API did not answer in time (process down, restarting, or on a lost pool)."""

    def __init__(self, bot_id: str, reason: str) -> None:
        super().__init__(
            "Bot is offline",
            "BOT_OFFLINE",
            extra={"error": "Bot is offline", "instanceId": bot_id, "details": reason},
        )
        self.reason = reason


class BotAuthFailed(BadGateway):
    """The bot refused its own credentials (contract: 401 `Unauthorized (bot token failed)`)."""

    status = 401

    def __init__(self, bot_id: str, details: str) -> None:
        super().__init__(
            "Unauthorized (bot token failed)",
            "BOT_AUTH_FAILED",
            extra={"error": "Unauthorized (bot token failed)", "details": details},
        )


@dataclass(frozen=True)
class BotReply:
    """A bot's raw answer: passed through unchanged by the proxy."""

    status: int
    body: bytes
    content_type: str

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


class BotApiClient:
    """Calls bots' APIs; safe to share between all requests and background tasks."""

    def __init__(self, *, pool_token: str, timeout: float = 3.0, connections: int = 100) -> None:
        self._pool_token = pool_token
        self.timeout = timeout
        self._connections = connections
        self._session: aiohttp.ClientSession | None = None
        # (bot id, url, username) -> access token; a moved or re-credentialed bot logs in anew.
        self._tokens: dict[tuple[str, str, str], str] = {}
        self._login_locks: dict[tuple[str, str, str], asyncio.Lock] = {}

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            # No per-host cap: through a pool's port one host:port is all that pool's bots (a
            # cap of 8 there would queue a whole pool's bots behind 8 calls); the pool caps
            # each bot itself (runtime/rpc/botproxy.py) and aggregations cap their fan-out.
            connector = aiohttp.TCPConnector(limit=self._connections, limit_per_host=0)
            self._session = aiohttp.ClientSession(connector=connector)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def forget(self, bot_id: str) -> None:
        """Drop cached tokens of a bot (deleted or moved)."""
        for key in [k for k in self._tokens if k[0] == bot_id]:
            del self._tokens[key]

    async def request(
        self,
        bot: BotEndpoint,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        params: Mapping[str, str] | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - aiohttp's per-request limit
    ) -> BotReply:
        """One call with the bot's token (one re-login on 401); BotOffline if it does not answer."""
        limit = aiohttp.ClientTimeout(total=timeout or self.timeout)
        key = (bot.bot_id, bot.url, bot.username)
        for attempt in (1, 2):
            token = await self._token(bot, key, limit, fresh=attempt == 2)
            headers = {"Authorization": f"Bearer {token}", POOL_TOKEN_HEADER: self._pool_token}
            if body is not None:
                headers["Content-Type"] = "application/json"
            try:
                async with self._http().request(
                    method, bot.url + path, data=body, params=params, headers=headers, timeout=limit
                ) as response:
                    reply = BotReply(
                        response.status,
                        await response.read(),
                        response.headers.get("Content-Type", "application/json"),
                    )
            except (aiohttp.ClientError, TimeoutError, OSError) as exc:
                raise BotOffline(bot.bot_id, _reason(exc)) from None
            refusal = _pool_refusal(reply.status, reply.body)
            if refusal is not None:
                raise BotOffline(bot.bot_id, refusal)
            if reply.status != 401 or attempt == 2:
                return reply
            self._tokens.pop(key, None)
        raise AssertionError("unreachable")  # pragma: no cover

    async def get_json(
        self,
        bot: BotEndpoint,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 - aiohttp's per-request limit
    ) -> Any:
        """GET and decode JSON; BotOffline on any failure (the callers only want data)."""
        return await self._json(bot, "GET", path, None, timeout)

    async def post_json(
        self,
        bot: BotEndpoint,
        path: str,
        payload: Any = None,
        timeout: float | None = None,  # noqa: ASYNC109 - aiohttp's per-request limit
    ) -> Any:
        body = None if payload is None else json.dumps(payload).encode()
        return await self._json(bot, "POST", path, body, timeout)

    async def _json(
        self,
        bot: BotEndpoint,
        method: str,
        path: str,
        body: bytes | None,
        timeout: float | None,  # noqa: ASYNC109 - aiohttp's per-request limit
    ) -> Any:
        reply = await self.request(bot, method, path, body=body, timeout=timeout)
        if reply.status >= 400:
            raise BotOffline(bot.bot_id, f"{method} {path} answered {reply.status}")
        try:
            return reply.json()
        except ValueError:
            raise BotOffline(bot.bot_id, f"{method} {path} answered non-JSON") from None

    async def _token(
        self, bot: BotEndpoint, key: tuple[str, str, str], limit: aiohttp.ClientTimeout, fresh: bool
    ) -> str:
        cached = None if fresh else self._tokens.get(key)
        if cached is not None:
            return cached
        lock = self._login_locks.setdefault(key, asyncio.Lock())
        async with lock:  # one login per bot even when many calls find no token at once
            cached = None if fresh else self._tokens.get(key)
            if cached is not None:
                return cached
            password = bot_api_password(self._pool_token, bot.bot_id)
            headers = {
                "Authorization": aiohttp.encode_basic_auth(bot.username, password),
                POOL_TOKEN_HEADER: self._pool_token,
            }
            try:
                async with self._http().post(
                    bot.url + LOGIN_PATH, headers=headers, timeout=limit
                ) as response:
                    if response.status >= 400:
                        refusal = _pool_refusal(response.status, await response.read())
                        if refusal is not None:
                            raise BotOffline(bot.bot_id, refusal)
                    if response.status == 401:
                        raise BotAuthFailed(bot.bot_id, "the bot refused its API credentials")
                    if response.status >= 400:
                        raise BotOffline(bot.bot_id, f"login answered {response.status}")
                    data = await response.json(content_type=None)
            except (aiohttp.ClientError, TimeoutError, OSError, ValueError) as exc:
                raise BotOffline(bot.bot_id, _reason(exc)) from None
            token = str(data["access_token"])
            self._tokens[key] = token
            return token


def _pool_refusal(status: int, body: bytes) -> str | None:
    """The pool's own refusal on its bot route (`{"success": false, "code": ...}`), as a
    reason; None for anything else, which is the bot's own answer."""
    if status < 400 or not body.startswith(b"{"):
        return None
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("success") is not False:
        return None
    code = data.get("code")
    if code not in POOL_REFUSALS:
        return None
    return f"pool answered {status} {code}: {data.get('message', '')}"


def _reason(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "timed out"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__

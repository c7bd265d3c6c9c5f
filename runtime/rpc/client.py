"""aiohttp client of a pool's control API (used by the CLI, the demo, the bench, the gateway)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from types import TracebackType
from typing import Any
from urllib.parse import quote

import aiohttp

from observability.logs import request_id_var


class PoolApiError(Exception):
    """A `{"success": false}` answer: `status`, stable `code`, `message`."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message


class PoolClient:
    """`async with PoolClient(url, token) as pool: await pool.add_bot({...})`."""

    def __init__(self, base_url: str, token: str, timeout: float = 60.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {token}"}
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> PoolClient:
        self._session = aiohttp.ClientSession(headers=self._headers, timeout=self._timeout)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def request(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        """Send one call; return the success body or raise PoolApiError."""
        if self._session is None:
            raise RuntimeError("use `async with PoolClient(...)`")
        # The caller's request id (the gateway's, during a request) ties the pool's lines to it.
        request_id = request_id_var.get()
        headers = {"X-Request-ID": request_id} if request_id else None
        url = self.base_url + path
        async with self._session.request(method, url, json=body, headers=headers) as response:
            try:
                data = await response.json(content_type=None)
            except ValueError:
                data = None
            if not isinstance(data, dict):
                raise PoolApiError(response.status, "BAD_RESPONSE", "answer is not a JSON object")
            if response.status >= 400 or not data.get("success"):
                raise PoolApiError(response.status, str(data.get("code")), str(data.get("message")))
            return data

    async def add_bot(self, spec: dict[str, Any]) -> dict[str, Any]:
        """Add and start a bot; `spec` may carry a `strategy_version` with its files."""
        return dict((await self.request("POST", "/bots", spec))["bot"])

    async def remove_bot(self, bot_id: str, keep_data: bool = False) -> dict[str, Any]:
        suffix = "?keep_data=true" if keep_data else ""
        return await self.request("DELETE", f"/bots/{bot_id}{suffix}")

    async def start_bot(self, bot_id: str) -> dict[str, Any]:
        return dict((await self.request("POST", f"/bots/{bot_id}/start"))["bot"])

    async def stop_bot(self, bot_id: str) -> dict[str, Any]:
        return dict((await self.request("POST", f"/bots/{bot_id}/stop"))["bot"])

    async def restart_bot(self, bot_id: str) -> dict[str, Any]:
        return dict((await self.request("POST", f"/bots/{bot_id}/restart"))["bot"])

    async def update_bot(
        self, bot_id: str, changes: dict[str, Any], *, restart: bool = True
    ) -> dict[str, Any]:
        """PATCH the bot's spec; `restart=False` stores it for the next start only.

        `changes` may hold `strategy` and/or `strategy_version` (`{"commit", "version",
        "files"}` or None): a deploy, answered once the bot runs it (`applied`, `healthy`).
        """
        path = f"/bots/{bot_id}" if restart else f"/bots/{bot_id}?restart=false"
        return await self.request("PATCH", path, changes)

    async def bot_status(self, bot_id: str) -> dict[str, Any]:
        return dict((await self.request("GET", f"/bots/{bot_id}"))["bot"])

    async def bot_logs(
        self, bot_id: str, lines: int | None = None, level: str | None = None
    ) -> dict[str, Any]:
        """The last `lines` records of the bot's log at or above `level`:
        `{"bot_id", "lines", "level", "logs": [{"ts", "level", "logger", "message"}]}`."""
        query = {"lines": lines, "level": level}
        params = "&".join(f"{k}={quote(str(v))}" for k, v in query.items() if v is not None)
        path = f"/bots/{quote(bot_id)}/logs" + (f"?{params}" if params else "")
        return await self.request("GET", path)

    async def list_bots(self) -> list[dict[str, Any]]:
        return list((await self.request("GET", "/bots"))["bots"])

    async def summaries(
        self, bot_ids: Iterable[str] | None = None, *, closed: bool = False
    ) -> dict[str, dict[str, Any]]:
        """The bots' published summaries by bot id (runtime/rpc/commands/bot_summaries.py)."""
        query = {"closed": "1" if closed else "0"}
        if bot_ids is not None:
            query["bots"] = ",".join(bot_ids)
        params = "&".join(f"{k}={quote(v)}" for k, v in query.items())
        return dict((await self.request("GET", f"/summaries?{params}"))["bots"])

    async def health(self) -> dict[str, Any]:
        return await self.request("GET", "/health")

    async def sync_now(self) -> dict[str, Any]:
        """Run a trade-sync pass now; the state after it (409 SYNC_OFF when sync is off)."""
        return await self.request("POST", "/sync")

    async def sync_status(self) -> dict[str, Any]:
        """The trade-sync state (`{"enabled": false}` when sync is off)."""
        return await self.request("GET", "/sync")

    async def backup_status(self) -> dict[str, Any]:
        """The Turso backup state per bot (`{"enabled": false}` when backup is off)."""
        return await self.request("GET", "/backup")

    async def wait_for_state(
        self, bot_id: str, state: str, deadline_s: float = 60.0, interval: float = 0.05
    ) -> dict[str, Any]:
        """Poll the bot's status until it reaches `state`; TimeoutError after `deadline_s`."""
        deadline = time.monotonic() + deadline_s
        while True:
            bot = await self.bot_status(bot_id)
            if bot["state"] == state:
                return bot
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"bot {bot_id} is {bot['state']}, not {state}, after {deadline_s}s"
                )
            await asyncio.sleep(interval)

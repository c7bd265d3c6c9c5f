"""Tell a gateway where this pool's control API is, at start and then periodically.

The gateway records the pool and starts placing bots in it once its health check passes;
repeating the announcement lets a restarted gateway (or a moved pool) find the pool again.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from typing import Any

import aiohttp

from runtime.settings import PoolSettings

logger = logging.getLogger(__name__)

ANNOUNCE_PATH = "/api/pools/announce"
RETRY_S = 5.0  # after a failure, try again sooner than the normal interval
WILDCARD_HOSTS = frozenset({"", "0.0.0.0", "::"})  # noqa: S104 - compared, not bound


def control_url(settings: PoolSettings) -> str:
    """The URL the gateway should call: `public_url`, else the control host and port."""
    if settings.public_url:
        return settings.public_url.rstrip("/")
    host = settings.control_host
    if host in WILDCARD_HOSTS:  # listening everywhere: the hostname is the best guess
        host = socket.gethostname()
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{settings.control_port}"


def announcement(settings: PoolSettings) -> dict[str, Any]:
    """The body of `POST /api/pools/announce`."""
    return {
        "poolId": settings.pool_id,
        "controlUrl": control_url(settings),
        "hostLabel": settings.host_label or socket.gethostname(),
        "capacity": settings.capacity,
    }


class Announcer:
    """Posts this pool's announcement to the gateway until cancelled."""

    def __init__(self, settings: PoolSettings, timeout: float = 10.0) -> None:
        self.settings = settings
        self.url = settings.gateway_url.rstrip("/") + ANNOUNCE_PATH
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._failing: bool | None = None  # None until the first attempt

    async def announce_once(self, session: aiohttp.ClientSession) -> bool:
        """One announcement; True when the gateway accepted it (failures are only logged)."""
        headers = {"Authorization": f"Bearer {self.settings.token.get_secret_value()}"}
        try:
            async with session.post(
                self.url, json=announcement(self.settings), headers=headers
            ) as response:
                text = await response.text()
                if response.status != 200:
                    return self._failed(f"HTTP {response.status}: {text[:200]}")
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            return self._failed(str(exc) or type(exc).__name__)
        if self._failing is not False:
            logger.info("pool %s announced to %s", self.settings.pool_id, self.url)
        self._failing = False
        return True

    def _failed(self, reason: str) -> bool:
        log = logger.debug if self._failing else logger.warning
        log("announcing pool %s to %s failed: %s", self.settings.pool_id, self.url, reason)
        self._failing = True
        return False

    async def run(self) -> None:
        """Announce now, then every `announce_interval` seconds (sooner after a failure)."""
        interval = self.settings.announce_interval
        async with aiohttp.ClientSession(timeout=self._timeout) as session:
            while True:
                accepted = await self.announce_once(session)
                await asyncio.sleep(interval if accepted else min(interval, RETRY_S))

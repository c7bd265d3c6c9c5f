"""Fault injection: the sandbox exchange misbehaves on purpose for a while (fault tests).

An admin route switches a mode on for `seconds` (or until switched off):

    POST /sandbox/faults {"mode": "error" | "timeout" | "garbage" | "off", "seconds": N}
    -> 200 {"mode": "error", "seconds_left": 59.998}
    GET  /sandbox/faults -> the same state (mode "off" once the time is up)

While a mode is on, every exchange route (`/api/v3/...`) answers:
- `error`:   HTTP 503 with Binance's `{"code": -1001, "msg": "Internal error; ..."}`;
- `timeout`: nothing until the fault ends (at most `TIMEOUT_HOLD_S`), so clients time out;
- `garbage`: HTTP 200 `application/json` whose body is not JSON.
The admin routes themselves are never affected.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

from sandbox.errors import BadParameterError

logger = logging.getLogger(__name__)

Monotonic = Callable[[], float]

FAULT_PATH = "/sandbox/faults"
EXCHANGE_PREFIX = "/api/"
TIMEOUT_HOLD_S = 120.0  # longest a `timeout` request is held, even if the fault lasts longer
MAX_SECONDS = 3_600.0
GARBAGE = b'{"symbols": [\x00\xff not json <html>502 Bad Gateway</html>'
DISCONNECTED = {
    "code": -1001,
    "msg": "Internal error; unable to process your request. Please try again.",
}


class FaultMode(StrEnum):
    OFF = "off"
    ERROR = "error"
    TIMEOUT = "timeout"
    GARBAGE = "garbage"


@dataclass
class Faults:
    """The fault in force: a mode and the monotonic time it ends (None = until switched off)."""

    clock: Monotonic = time.monotonic
    mode: FaultMode = FaultMode.OFF
    until: float | None = None

    def set(self, mode: FaultMode, seconds: float | None) -> None:
        self.mode = mode
        self.until = None if seconds is None or mode is FaultMode.OFF else self.clock() + seconds
        logger.warning("sandbox fault mode %s for %s s", mode.value, seconds)

    def active(self) -> FaultMode:
        """The mode in force now (OFF once its time is up)."""
        if self.until is not None and self.clock() >= self.until:
            self.mode, self.until = FaultMode.OFF, None
        return self.mode

    def seconds_left(self) -> float | None:
        if self.active() is FaultMode.OFF or self.until is None:
            return None
        return round(max(0.0, self.until - self.clock()), 3)

    def describe(self) -> dict[str, Any]:
        return {"mode": self.active().value, "seconds_left": self.seconds_left()}


FAULTS = web.AppKey("faults", Faults)


def parse(body: object) -> tuple[FaultMode, float | None]:
    """The mode and duration of a `POST /sandbox/faults` body; BadParameterError if invalid."""
    if not isinstance(body, dict):
        raise BadParameterError("The body must be a JSON object with 'mode'.")
    try:
        mode = FaultMode(str(body.get("mode")))
    except ValueError:
        choices = ", ".join(m.value for m in FaultMode)
        raise BadParameterError(f"'mode' must be one of {choices}.") from None
    seconds = body.get("seconds")
    if seconds is None:
        return mode, None
    if isinstance(seconds, bool) or not isinstance(seconds, int | float):
        raise BadParameterError("'seconds' must be a number.")
    if not math.isfinite(seconds) or not 0 < seconds <= MAX_SECONDS:
        raise BadParameterError(f"'seconds' must be more than 0 and at most {MAX_SECONDS:g}.")
    return mode, float(seconds)


async def set_faults(request: web.Request) -> web.Response:
    """`POST /sandbox/faults`: switch a fault mode on (for `seconds`) or off."""
    try:
        body = await request.json()
    except ValueError:
        raise BadParameterError("The body must be JSON.") from None
    mode, seconds = parse(body)
    faults = request.app[FAULTS]
    faults.set(mode, seconds)
    return web.json_response(faults.describe())


async def get_faults(request: web.Request) -> web.Response:
    """`GET /sandbox/faults`: the fault in force."""
    return web.json_response(request.app[FAULTS].describe())


@web.middleware
async def fault_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Misbehave on exchange routes while a fault is on; pass everything else through."""
    faults = request.app[FAULTS]
    if not request.path.startswith(EXCHANGE_PREFIX):
        return await handler(request)
    mode = faults.active()
    if mode is FaultMode.ERROR:
        return web.json_response(DISCONNECTED, status=503)
    if mode is FaultMode.GARBAGE:
        return web.Response(body=GARBAGE, content_type="application/json")
    if mode is FaultMode.TIMEOUT:
        await asyncio.sleep(min(faults.seconds_left() or TIMEOUT_HOLD_S, TIMEOUT_HOLD_S))
    return await handler(request)


def add_fault_routes(app: web.Application, clock: Monotonic = time.monotonic) -> None:
    """Install the fault state and its admin routes on the sandbox app."""
    app[FAULTS] = Faults(clock)
    app.router.add_get(FAULT_PATH, get_faults)
    app.router.add_post(FAULT_PATH, set_faults)

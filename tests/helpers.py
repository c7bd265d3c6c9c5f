"""Small helpers shared by the test suite: free ports and polling with a deadline."""

from __future__ import annotations

import asyncio
import os
import socket
import time
from collections.abc import Awaitable, Callable
from typing import NoReturn, TypeVar

import pytest

T = TypeVar("T")


def unavailable(message: str) -> NoReturn:
    """A test's real dependency is missing: skip, except under `CI=true`, where it fails."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{message} - required under CI=true", pytrace=False)
    pytest.skip(message)


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(
    predicate: Callable[[], T | None], timeout: float, interval: float = 0.1, what: str = ""
) -> T:
    """Poll `predicate` until it returns a truthy value or `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    last_error: BaseException | None = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
        except Exception as exc:  # the condition may raise until it holds
            last_error = exc
        else:
            if value:
                return value
        time.sleep(interval)
    raise TimeoutError(f"condition not met within {timeout}s: {what} (last error: {last_error!r})")


async def async_wait_until(
    predicate: Callable[[], Awaitable[T | None]],
    timeout: float,  # noqa: ASYNC109 - a polling deadline, same signature as wait_until
    interval: float = 0.1,
    what: str = "",
) -> T:
    """Async twin of `wait_until` for conditions that need to await."""
    deadline = time.monotonic() + timeout
    last_error: BaseException | None = None
    while time.monotonic() < deadline:
        try:
            value = await predicate()
        except Exception as exc:  # the condition may raise until it holds
            last_error = exc
        else:
            if value:
                return value
        await asyncio.sleep(interval)
    raise TimeoutError(f"condition not met within {timeout}s: {what} (last error: {last_error!r})")

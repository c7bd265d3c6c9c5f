"""Hands out bots' REST API ports from the pool's range."""

from __future__ import annotations

import socket
from collections.abc import Iterable

from runtime.errors import Conflict


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """Whether nothing listens on `host:port` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def allocate_port(low: int, high: int, taken: Iterable[int]) -> int:
    """The lowest port in `low..high` no bot holds and nothing else listens on."""
    used = set(taken)
    for port in range(low, high + 1):
        if port not in used and port_is_free(port):
            return port
    raise Conflict(f"no free API port in {low}..{high}", "NO_FREE_PORT")

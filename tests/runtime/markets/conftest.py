"""Factories for the shared-markets tests: an exchange endpoint that counts what it serves."""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest

EXCHANGE_INFO = "/api/v3/exchangeInfo"
DOWN = b'{"code": -1001, "msg": "Internal error; unable to process your request."}'


class CountingExchange:
    """A pass-through to the sandbox that counts requests per path and can refuse
    `exchangeInfo` (503, Binance's error body) while `refusing` is set."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.counts: Counter[str] = Counter()
        self.refusing = False
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def count(self, path: str = EXCHANGE_INFO) -> int:
        with self._lock:
            return self.counts[path]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        exchange = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                path = urlsplit(self.path).path
                with exchange._lock:
                    exchange.counts[path] += 1
                    refuse = exchange.refusing and path == EXCHANGE_INFO
                if refuse:
                    self._answer(503, DOWN, "application/json")
                    return
                try:
                    url = exchange.upstream + self.path
                    with urllib.request.urlopen(url, timeout=30) as upstream:  # noqa: S310
                        status, body = upstream.status, upstream.read()
                        kind = upstream.headers.get("Content-Type", "application/json")
                except urllib.error.HTTPError as error:
                    status, body = error.code, error.read()
                    kind = error.headers.get("Content-Type", "application/json")
                self._answer(status, body, kind)

            def _answer(self, status: int, body: bytes, kind: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass  # the counts are the record

        return Handler

    def __enter__(self) -> CountingExchange:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(10)


@pytest.fixture
def counting_exchange(sandbox_url: str) -> Iterator[Callable[[], CountingExchange]]:
    """Factory: a running `CountingExchange` in front of the session's sandbox."""
    started: list[CountingExchange] = []

    def factory() -> CountingExchange:
        exchange = CountingExchange(sandbox_url).__enter__()
        started.append(exchange)
        return exchange

    yield factory
    for exchange in started:
        exchange.__exit__(None, None, None)

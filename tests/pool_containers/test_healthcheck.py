"""The images' HEALTHCHECK script against a stand-in server: port and token from the env."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "pool_containers" / "images" / "healthcheck.py"
TOKEN = "health-token-0123456789"


class _Service(BaseHTTPRequestHandler):
    """The pool's /health wants the Bearer token; the gateway's /api/health is public."""

    def do_GET(self) -> None:
        if self.path == "/api/health":
            status = 200
        elif self.path == "/health":
            status = 200 if self.headers.get("Authorization") == f"Bearer {TOKEN}" else 401
        else:
            status = 404
        self.send_response(status)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the test reads exit codes, not access logs."""


@pytest.fixture
def port() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Service)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield int(server.server_address[1])
    server.shutdown()
    server.server_close()


def _check(service: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), service],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )


def test_pool_check_sends_the_token_from_the_environment(port: int) -> None:
    env = {"CRYPTOPILOT_POOL_CONTROL_PORT": str(port), "CRYPTOPILOT_POOL_TOKEN": TOKEN}
    assert _check("pool", env).returncode == 0
    wrong = _check("pool", {**env, "CRYPTOPILOT_POOL_TOKEN": "wrong"})
    assert wrong.returncode == 1
    assert "HTTP 401" in wrong.stdout


def test_gateway_check_reads_the_gateway_port(port: int) -> None:
    assert _check("gateway", {"CRYPTOPILOT_PORT": str(port)}).returncode == 0


def test_nothing_listening_is_unhealthy() -> None:
    closed = _check("gateway", {"CRYPTOPILOT_PORT": "1"})
    assert closed.returncode == 1
    assert "unhealthy" in closed.stderr


def test_an_unknown_service_is_a_usage_error() -> None:
    assert _check("sandbox", {}).returncode == 2

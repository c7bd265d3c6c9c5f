"""Schemathesis over the gateway's own OpenAPI document: no 5xx, no answer the document denies.

The gateway runs on a real TCP port (its own event loop in a thread, SQLite); the document is
the one it serves at /api/openapi.json. Every operation gets `EXAMPLES` generated requests
(derandomised: the same requests every run) with a fresh user's JWT from the gateway's own
login, an admin's for admin routes. Schemathesis' response checks run on every answer:
not a server error, a documented status code, content type, headers and body schema.

Left out, on purpose: the SSE streams and the strategies WebSocket (they never end, so every
example would wait for the read timeout; their events are checked by tests/gateway/test_sse.py
and their document by tests/gateway/test_openapi.py), and Prometheus' `/metrics` (text).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
import requests
import schemathesis
from aiohttp import web
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.generation.case import Case
from schemathesis.schemas import APIOperation
from schemathesis.specs.openapi.checks import positive_data_acceptance

from gateway.app import create_app
from gateway.keys import SERVICES, SETTINGS
from gateway.settings import Settings
from gateway.usercli import create_user
from tests.gateway.conftest import PASSWORD, quiet_settings
from tests.gateway.services.dashboard.test_portfolio import add_bot
from tests.helpers import free_port

EXAMPLES = 12
UNLIMITED = "1000000/60"
SKIPPED_PATHS = ("/ws/strategies", "/metrics")

# A schema-valid request may still break a documented business rule (400 INSUFFICIENT_FUNDS,
# CURRENT_PASSWORD_REQUIRED ...): "valid data must be accepted" does not hold for this API.
EXCLUDED_CHECKS: list[Any] = [positive_data_acceptance]

T = TypeVar("T")


class ThreadedGateway:
    """The gateway app served on 127.0.0.1 by its own event loop in a daemon thread."""

    def __init__(self, app: web.Application) -> None:
        self.app = app
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.runner = web.AppRunner(app)
        self.url = ""

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=60)

    def start(self) -> ThreadedGateway:
        self.thread.start()
        self.run(self.runner.setup())
        port = free_port()
        self.run(web.TCPSite(self.runner, "127.0.0.1", port).start())
        self.url = f"http://127.0.0.1:{port}"
        return self

    def stop(self) -> None:
        self.run(self.runner.cleanup())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()


@pytest.fixture
def gateway(tmp_path: Path, sandbox_url: str) -> Iterator[ThreadedGateway]:
    values: dict[str, Any] = quiet_settings(
        f"sqlite+aiosqlite:///{tmp_path / 'gateway.sqlite3'}", tmp_path
    ) | {
        "market_url": sandbox_url,  # the market list (GET /api/freqtrade/markets)
        # Nothing to verify Firebase tokens against: a refused port answers at once.
        "firebase_certs_url": f"http://127.0.0.1:{free_port()}/certs",
        "firebase_http_timeout": 2.0,
    }
    for group in ("auth", "account", "admin", "default"):
        values[f"rate_limit_{group}"] = UNLIMITED
    served = ThreadedGateway(create_app(Settings(**values))).start()
    try:
        yield served
    finally:
        served.stop()


def login(base: str, email: str) -> tuple[dict[str, str], str]:
    """The gateway's own login: (Authorization header, user id)."""
    response = requests.post(
        f"{base}/api/auth/login", json={"email": email, "password": PASSWORD}, timeout=30
    )
    assert response.status_code == 200, response.text
    body = response.json()
    return {"Authorization": f"Bearer {body['token']}"}, str(body["data"]["user"]["id"])


def new_user(gateway: ThreadedGateway, n: int) -> dict[str, str]:
    """A fresh user with one (offline) bot of its own; its Authorization header."""
    email = f"fuzz{n}@example.com"
    response = requests.post(
        f"{gateway.url}/api/auth/register",
        json={"username": f"fuzz{n}", "email": email, "password": PASSWORD},
        timeout=30,
    )
    assert response.status_code == 201, response.text
    headers, user_id = login(gateway.url, email)
    gateway.run(add_bot(gateway.app[SERVICES], user_id, f"fuzz{n}-bot-1", None))
    return headers


def fuzz(operation: APIOperation[Any, Any, Any, Any], base: str, headers: dict[str, str]) -> int:
    """Run EXAMPLES generated cases of one operation; the number of requests sent."""
    sent = 0

    @given(case=operation.as_strategy(), data=st.data())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def check(case: Case[Any], data: st.DataObject) -> None:
        nonlocal sent
        response = case.call(base_url=base, headers=headers, timeout=30)
        sent += 1
        case.validate_response(response, excluded_checks=EXCLUDED_CHECKS)

    check()
    return sent


def test_every_operation_answers_as_documented(gateway: ThreadedGateway) -> None:
    document = requests.get(f"{gateway.url}/api/openapi.json", timeout=30).json()
    schema = schemathesis.openapi.from_dict(document)
    settings_ = gateway.app[SETTINGS]
    gateway.run(create_user(settings_, "root@example.com", PASSWORD, "root", admin=True))
    admin, _ = login(gateway.url, "root@example.com")
    failures: list[str] = []
    operations = 0
    requests_sent = 0
    for n, result in enumerate(schema.get_all_operations()):
        operation = result.ok()  # type: ignore[union-attr]  # an Err raises here, as it should
        answers = operation.definition.raw["responses"].values()
        streams = any("text/event-stream" in a.get("content", {}) for a in answers)
        if operation.path.startswith(SKIPPED_PATHS) or streams:
            continue
        access = operation.definition.raw.get("x-access")
        headers = admin if access in ("admin", "monitoring") else new_user(gateway, n)
        operations += 1
        try:
            requests_sent += fuzz(operation, gateway.url, headers)
        except (Exception, BaseExceptionGroup) as exc:  # report every operation's failures
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}")
    print(f"\nfuzzed {operations} operations, {requests_sent} requests")
    assert operations >= 60
    assert not failures, "\n\n".join(failures)

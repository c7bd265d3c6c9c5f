"""Two gateway replicas on one Redis and one PostgreSQL database share every group's quota."""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
from aiohttp import ClientSession

from cli.processes import stop_process
from gateway.keys import RATE_LIMITER
from gateway.ratelimit_redis import KEY_PREFIX, RedisLimiter, describe_url
from tests.fixtures.pools import REPO
from tests.fixtures.redis import delete_keys
from tests.gateway.conftest import ReplicaFactory, migrate, register_and_login
from tests.gateway.scrape import scrape
from tests.helpers import free_port, wait_until

LIMITS = {"rate_limit_auth": "1000/60"}  # registering and logging in are not what is measured
ERRORS = "cryptopilot_ratelimit_backend_errors_total"


@pytest.fixture
def users_keys(redis_url: str) -> Iterator[list[str]]:
    """User ids whose rate-limit keys (and the test client's IP keys) are deleted afterwards."""
    user_ids: list[str] = []
    yield user_ids
    for user_id in user_ids:
        delete_keys(redis_url, f"{KEY_PREFIX}*:user:{user_id}")
    delete_keys(redis_url, f"{KEY_PREFIX}auth:ip:127.0.0.1")


async def test_a_groups_quota_is_shared_by_the_replicas(
    make_replicas: ReplicaFactory, redis_url: str, users_keys: list[str]
) -> None:
    a, b = await make_replicas(
        redis_url=redis_url, rate_limit_account="4/60", rate_limit_auth="1000/60"
    )
    assert isinstance(a.app[RATE_LIMITER], RedisLimiter)
    alice = await register_and_login(a, "alice@example.com")
    bob = await register_and_login(b, "bob@example.com")
    users_keys.extend([alice.user_id, bob.user_id])
    remaining = []
    for replica in (a, b, a, b):
        response = await replica.get("/api/account/profile", headers=alice.auth)
        assert response.status == 200, await response.text()
        remaining.append(response.headers["RateLimit-Remaining"])
    assert remaining == ["3", "2", "1", "0"]
    # The fifth, on either replica, is refused with the contract's body and headers.
    for replica in (a, b):
        response = await replica.get("/api/account/profile", headers=alice.auth)
        assert response.status == 429
        body = await response.json()
        assert body == {"success": False, "message": body["message"], "code": "RATE_LIMITED"}
        assert response.headers["RateLimit-Limit"] == "4"
        assert response.headers["RateLimit-Remaining"] == "0"
        assert 0 < int(response.headers["Retry-After"]) <= 60
        assert response.headers["RateLimit-Reset"] == response.headers["Retry-After"]
    # Both refusals are counted where they happened; bob's quota is his own.
    for replica in (a, b):
        found = await scrape(replica)
        assert found.value("cryptopilot_rate_limit_rejections_total", limit="account") == 1
        assert found.value(ERRORS) == 0
    response = await b.get("/api/account/profile", headers=bob.auth)
    assert response.status == 200 and response.headers["RateLimit-Remaining"] == "3"
    # The count is Redis's, under the documented key, expiring with the window.
    limiter = a.app[RATE_LIMITER]
    assert isinstance(limiter, RedisLimiter)
    key = f"{KEY_PREFIX}account:user:{alice.user_id}"
    assert await limiter.client.get(key) == b"6"
    assert 0 < await limiter.client.pttl(key) <= 60_000


async def test_replicas_serve_every_request_while_redis_is_unreachable(
    make_replicas: ReplicaFactory, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"redis://:s3cret@127.0.0.1:{free_port()}/0"
    with caplog.at_level(logging.INFO, logger="gateway.app"):
        a, b = await make_replicas(
            redis_url=url, rate_limit_account="3/60", rate_limit_auth="1000/60"
        )
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert f"rate limits shared by the replicas in Redis at {url.replace(':s3cret@', '')}" in logged
    assert "Redis not reachable at start-up" in logged
    assert "s3cret" not in logged
    alice = await register_and_login(a)
    statuses = [(await a.get("/api/account/profile", headers=alice.auth)).status for _ in range(4)]
    # Never a 500: each replica limits in its own memory meanwhile.
    assert statuses == [200, 200, 200, 429]
    response = await b.get("/api/account/profile", headers=alice.auth)
    assert response.status == 200 and response.headers["RateLimit-Remaining"] == "2"
    for replica in (a, b):
        errors = (await scrape(replica)).value(ERRORS)
        assert errors is not None and errors >= 1


@contextmanager
def running_gateway(log: Path, env: dict[str, str]) -> Iterator[str]:
    """A `cryptopilot gateway` process on a free port until the block ends; yields its URL."""
    port = free_port()
    args = [sys.executable, "-m", "cli.main", "gateway", "--port", str(port)]
    with log.open("ab") as out:
        process = subprocess.Popen(
            args, cwd=REPO, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(
            lambda: process.poll() is not None or _healthy(url), timeout=60, what=f"{log.stem} up"
        )
        assert process.poll() is None, log.read_text()
        yield url
    finally:
        stop_process(process, 15)


def _healthy(url: str) -> bool:
    with urllib.request.urlopen(url + "/api/health", timeout=2) as response:  # noqa: S310
        return bool(response.status == 200)


@pytest.fixture
def two_gateways(
    make_postgres_database: Callable[[], str], redis_url: str, tmp_path: Path
) -> Iterator[tuple[str, str]]:
    """Two real gateway processes on one migrated PostgreSQL database and the test Redis."""
    database_url = make_postgres_database()
    asyncio.run(migrate(database_url))  # out of band, as in production
    env = {
        "CRYPTOPILOT_ENV": "test",
        "CRYPTOPILOT_DATABASE_URL": database_url,
        "CRYPTOPILOT_AUTO_MIGRATE": "false",
        "CRYPTOPILOT_JWT_SECRET": "test-secret-" + "x" * 32,
        "CRYPTOPILOT_BCRYPT_ROUNDS": "4",
        "CRYPTOPILOT_REDIS_URL": redis_url,
        "CRYPTOPILOT_RATE_LIMIT_ACCOUNT": "4/60",
        "CRYPTOPILOT_RATE_LIMIT_AUTH": "1000/60",
        "CRYPTOPILOT_POOL_HEALTH_INTERVAL": "0",
        "CRYPTOPILOT_RECONCILE_INTERVAL": "0",
        "CRYPTOPILOT_TRADE_MONITOR_INTERVAL": "0",
        "CRYPTOPILOT_SNAPSHOT_INTERVAL": "0",
        "CRYPTOPILOT_STRATEGY_WATCH_INTERVAL": "0",
    }
    with ExitStack() as stack:
        urls = [
            stack.enter_context(
                running_gateway(
                    tmp_path / f"gateway-{name}.log",
                    env | {"CRYPTOPILOT_STRATEGY_REPO": str(tmp_path / f"strategies-{name}")},
                )
            )
            for name in ("a", "b")
        ]
        yield urls[0], urls[1]


@pytest.mark.e2e
async def test_two_gateway_processes_share_the_quota_through_redis(
    two_gateways: tuple[str, str], redis_url: str, users_keys: list[str], tmp_path: Path
) -> None:
    url_a, url_b = two_gateways
    account = {"username": "carol", "email": "carol@example.com", "password": "correct-horse"}
    async with ClientSession() as http:
        response = await http.post(url_a + "/api/auth/register", json=account)
        assert response.status == 201, await response.text()
        response = await http.post(url_b + "/api/auth/login", json=account)
        assert response.status == 200, await response.text()
        body = await response.json()
        users_keys.append(body["data"]["user"]["id"])
        auth = {"Authorization": f"Bearer {body['token']}"}
        statuses = []
        for url in (url_a, url_b) * 3:
            async with http.get(url + "/api/account/profile", headers=auth) as response:
                statuses.append(response.status)
        assert statuses == [200, 200, 200, 200, 429, 429]
    log = (tmp_path / "gateway-a.log").read_text()
    assert f"rate limits shared by the replicas in Redis at {describe_url(redis_url)}" in log

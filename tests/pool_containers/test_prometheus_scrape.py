"""A real Prometheus (Debian's) scrapes a real gateway and pool and sees a SIGKILLed bot restart.

Prometheus finds the pool through the gateway's `http_sd_configs` endpoint, as in
pool_containers/monitoring/prometheus.yml; a gateway without that endpoint gets the pool as a
static target with the same labels. The alert rules of pool_containers/monitoring/rules are
loaded and evaluated.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from ruamel.yaml import YAML

from cli.processes import stop_process
from tests.fixtures.pools import POOL_TOKEN
from tests.fixtures.sqld import SqldServer
from tests.helpers import async_wait_until, free_port
from tests.pool_containers.stack import (
    BOT_ID,
    METRICS_TOKEN,
    POOL_ID,
    SD_PATH,
    ClientFactory,
    Stack,
    monitored_stack,
)
from tests.pool_containers.tools import POOL_CONTAINERS, debian_tool

RULES = POOL_CONTAINERS / "monitoring" / "rules" / "cryptopilot.rules.yml"


def prometheus_config(stack: Stack, folder: Path, discovery: bool) -> Path:
    """prometheus.yml for the test: 1 s scrapes, the rules, tokens in files."""
    pool_token, metrics_token = folder / "pool_token", folder / "metrics_token"
    pool_token.write_text(POOL_TOKEN + "\n")
    metrics_token.write_text(METRICS_TOKEN + "\n")
    pools: dict[str, Any] = {
        "job_name": "pools",
        "honor_labels": True,
        "authorization": {"type": "Bearer", "credentials_file": str(pool_token)},
    }
    if discovery:
        pools["http_sd_configs"] = [
            {
                "url": f"http://{stack.gateway_address}{SD_PATH}",
                "refresh_interval": "1s",
                "authorization": {"type": "Bearer", "credentials_file": str(metrics_token)},
            }
        ]
    else:
        pools["static_configs"] = [{"targets": [stack.pool_address], "labels": {"pool": POOL_ID}}]
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s", "scrape_timeout": "1s"},
        "rule_files": [str(RULES)],
        "scrape_configs": [
            {
                "job_name": "gateway",
                "authorization": {"type": "Bearer", "credentials_file": str(metrics_token)},
                "static_configs": [{"targets": [stack.gateway_address]}],
            },
            pools,
        ],
    }
    path = folder / "prometheus.yml"
    with path.open("w") as out:
        YAML(typ="safe").dump(config, out)
    return path


@contextmanager
def running_prometheus(binary: str, config: Path, folder: Path) -> Iterator[str]:
    """Run Prometheus with `config` on a free port until the block ends; yields its URL."""
    port = free_port()
    with (folder / "prometheus.log").open("wb") as log:
        process = subprocess.Popen(
            [
                binary,
                f"--config.file={config}",
                f"--storage.tsdb.path={folder / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--storage.tsdb.retention.time=1h",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_process(process, 10)


class Prometheus:
    """The HTTP API of a running Prometheus."""

    def __init__(self, url: str) -> None:
        self.url = url

    async def get(self, path: str, **params: str) -> Any:
        timeout = aiohttp.ClientTimeout(total=5)
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.get(self.url + path, params=params) as response,
        ):
            body = await response.json()
            assert response.status == 200 and body["status"] == "success", body
            return body["data"]

    async def query(self, expr: str) -> list[dict[str, Any]]:
        return list((await self.get("/api/v1/query", query=expr))["result"])


@pytest.mark.e2e
async def test_prometheus_sees_a_killed_bot_restart(
    aiohttp_client: ClientFactory, sandbox_url: str, sqld: SqldServer, tmp_path: Path
) -> None:
    binary = debian_tool("prometheus", "prometheus")
    async with monitored_stack(aiohttp_client, sandbox_url, sqld, tmp_path) as stack:
        answer = await stack.discovery()
        if answer is not None:  # the gateway's SD names the pool with its id
            assert [entry["labels"]["pool"] for entry in answer] == [POOL_ID]
            assert answer[0]["targets"] == [stack.pool_address]
        folder = tmp_path / "prometheus"
        folder.mkdir()
        config = prometheus_config(stack, folder, discovery=answer is not None)
        with running_prometheus(binary, config, folder) as url:
            prometheus = Prometheus(url)
            await check_scrape(prometheus, stack)


async def check_scrape(prometheus: Prometheus, stack: Stack) -> None:
    """Targets up, rules loaded, and a SIGKILLed bot's restart read back from Prometheus."""

    # Both jobs scraped successfully.
    async def both_up() -> dict[str, float] | None:
        rows = await prometheus.query("up")
        up = {row["metric"]["job"]: float(row["value"][1]) for row in rows}
        return up if up == {"gateway": 1.0, "pools": 1.0} else None

    await async_wait_until(both_up, timeout=60, interval=0.5, what="up == 1 for both jobs")
    (pool_up,) = await prometheus.query('up{job="pools"}')
    assert pool_up["metric"]["pool"] == POOL_ID

    # The rules are loaded and evaluate without errors.
    async def rules_ok() -> list[dict[str, Any]] | None:
        groups = (await prometheus.get("/api/v1/rules"))["groups"]
        rules = [rule for group in groups for rule in group["rules"]]
        healthy = rules and all(rule["health"] == "ok" for rule in rules)
        return rules if healthy else None

    rules = await async_wait_until(rules_ok, timeout=30, what="rules evaluated")
    expected = {r["alert"] for g in YAML(typ="safe").load(RULES.read_text())["groups"]
                for r in g["rules"]}  # fmt: skip
    assert {rule["name"] for rule in rules} == expected

    restarts = f'cryptopilot_bot_restarts_total{{pool="{POOL_ID}",bot_id="{BOT_ID}"}}'

    async def counted(at_least: float) -> tuple[float] | None:
        rows = await prometheus.query(restarts)
        value = float(rows[0]["value"][1]) if rows else -1.0
        return (value,) if value >= at_least else None  # a tuple: 0.0 is an answer

    (before,) = await async_wait_until(
        lambda: counted(0), timeout=60, interval=0.5, what="restarts series scraped"
    )
    pid = (await stack.bot())["pid"]
    os.kill(pid, signal.SIGKILL)
    (after,) = await async_wait_until(
        lambda: counted(before + 1), timeout=120, interval=1, what="restart in Prometheus"
    )
    assert after == before + 1
    (row,) = await prometheus.query(f"increase({restarts}[5m]) > 0")
    assert row["metric"]["bot_id"] == BOT_ID
    # The supervisor put it back: the bot is up again, as Prometheus sees it.
    await async_wait_until(
        lambda: prometheus.query(f'cryptopilot_bot_up{{bot_id="{BOT_ID}"}} == 1'),
        timeout=120,
        interval=1,
        what="bot up again",
    )

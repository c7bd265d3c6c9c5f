"""Factories for pool settings and in-process control APIs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from runtime.settings import PoolSettings
from tests.helpers import free_port

TOKEN = "test-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def bot_body(bot_id: str = "b1", **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "bot_id": bot_id,
        "owner": "alice",
        "strategy": "SandboxScalp1m",
        "pairs": ["BTC/USDT", "ETH/USDT"],
        "stake_currency": "USDT",
        "dry_run_wallet": 1000,
    }
    body.update(extra)
    return body


@pytest.fixture
def make_settings(tmp_path: Path) -> Any:
    def factory(**overrides: Any) -> PoolSettings:
        low = 20_000 + free_port() % 30_000
        values: dict[str, Any] = {
            "pool_id": "test",
            "data_dir": tmp_path / "pool",
            "control_port": free_port(),
            "api_port_min": low,
            "api_port_max": low + 40,
            "capacity": 3,
            "token": TOKEN,
            "exchange_url": "http://127.0.0.1:9",
            "backoff_base": 0.2,
            "backoff_max": 2.0,
            "stop_grace": 10.0,
            "start_timeout": 120.0,
        }
        values.update(overrides)
        return PoolSettings(**values)

    return factory

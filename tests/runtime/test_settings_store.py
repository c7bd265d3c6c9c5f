"""Settings from the environment, pool.json round trip, ports, overrides merge."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from envsettings import SettingsError
from runtime.botconfig import deep_merge
from runtime.errors import Conflict
from runtime.ports import allocate_port
from runtime.settings import load_settings
from runtime.spec import parse_bot_spec
from runtime.store import ApiCredentials, BotRecord, PoolStore
from tests.helpers import free_port
from tests.runtime.conftest import bot_body


def test_settings_from_env_then_overrides() -> None:
    env = {
        "CRYPTOPILOT_POOL_CAPACITY": "4",
        "CRYPTOPILOT_POOL_LOG_JSON": "true",
        "CRYPTOPILOT_POOL_BACKOFF_BASE": "0.25",
        "CRYPTOPILOT_POOL_TOKEN": "t",
    }
    settings = load_settings({"capacity": 6, "data_dir": "/tmp/x"}, environ=env)
    assert settings.capacity == 6
    assert settings.log_json is True
    assert settings.backoff_base == 0.25
    assert settings.data_dir == Path("/tmp/x")
    settings.require_token()
    with pytest.raises(SettingsError, match="token"):
        load_settings(environ={}).require_token()
    with pytest.raises(SettingsError, match="smaller than the capacity"):
        load_settings({"token": "t", "api_port_max": 18101}, environ={})
    assert load_settings({"pool_id": "p2"}, environ={}).data_dir == Path("var/pools/p2")
    with pytest.raises(SettingsError, match="CRYPTOPILOT_POOL_JSON_LOGS was renamed"):
        load_settings(environ={"CRYPTOPILOT_POOL_JSON_LOGS": "true"})


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("CRYPTOPILOT_POOL_LOG_JSON", "maybe"),  # was silently False before
        ("CRYPTOPILOT_POOL_CAPACITY", "ten"),
        ("CRYPTOPILOT_POOL_EXCHANGE_URL", "127.0.0.1:18070"),
        ("CRYPTOPILOT_POOL_GATEWAY_URL", "gateway:8080"),
    ],
)
def test_a_bad_value_is_an_error_naming_the_variable(variable: str, value: str) -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings(environ={variable: value})
    assert str(refused.value).startswith(f"{variable}={value!r}: ")


def test_secrets_are_masked_and_not_echoed() -> None:
    settings = load_settings(environ={"CRYPTOPILOT_POOL_TOKEN": "s3cret"})
    assert settings.masked()["token"] == "***"
    assert "s3cret" not in repr(settings) and "s3cret" not in str(settings.masked())
    assert load_settings(environ={}).masked()["token"] == "(empty)"
    bad = "mysql://user:pw@db/x"
    with pytest.raises(SettingsError, match="CRYPTOPILOT_POOL_SYNC_DATABASE_URL") as refused:
        load_settings(environ={"CRYPTOPILOT_POOL_SYNC_DATABASE_URL": bad})
    assert "pw@" not in str(refused.value)


def test_store_round_trip_is_private(tmp_path: Path) -> None:
    store = PoolStore(tmp_path, "p")
    record = BotRecord(
        parse_bot_spec(bot_body("b1")), 18100, "running", ApiCredentials.generate("b1")
    )
    store.save({"b1": record})
    assert store.load()["b1"] == record
    assert (tmp_path / "pool.json").stat().st_mode & 0o777 == 0o600
    assert json.loads((tmp_path / "pool.json").read_text())["version"] == 1
    assert not list(tmp_path.glob(".*tmp"))


def test_allocate_port_skips_taken_and_busy() -> None:
    low = free_port()
    assert allocate_port(low, low + 5, [low]) != low
    with pytest.raises(Conflict) as info:
        allocate_port(low, low, [low])
    assert info.value.code == "NO_FREE_PORT"


def test_deep_merge() -> None:
    base = {"a": {"b": 1, "c": 2}, "d": [1]}
    assert deep_merge(base, {"a": {"c": 3}, "d": [2]}) == {"a": {"b": 1, "c": 3}, "d": [2]}
    assert base["a"] == {"b": 1, "c": 2}

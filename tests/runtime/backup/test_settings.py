"""The Turso settings of a pool: off by default, validated, the token masked."""

from __future__ import annotations

import pytest

from envsettings import SettingsError
from runtime.settings import PoolSettings, load_settings


def test_backup_is_off_by_default_and_read_from_the_environment() -> None:
    assert load_settings(environ={}).turso_url == ""
    env = {
        "CRYPTOPILOT_POOL_TURSO_URL": "libsql://backup-acme.turso.io",
        "CRYPTOPILOT_POOL_TURSO_AUTH_TOKEN": "secret-token",
        "CRYPTOPILOT_POOL_TURSO_INTERVAL": "12.5",
    }
    settings = load_settings(environ=env)
    assert (settings.turso_url, settings.turso_interval) == ("libsql://backup-acme.turso.io", 12.5)
    assert settings.masked()["turso_auth_token"] == "***"
    assert "secret-token" not in str(settings.masked())


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"turso_url": "ftp://backup"},
            "CRYPTOPILOT_POOL_TURSO_URL='ftp://backup': must start with",
        ),
        (
            {"turso_url": "http://127.0.0.1:8080", "turso_interval": 0.0},
            "CRYPTOPILOT_POOL_TURSO_INTERVAL must be positive",
        ),
    ],
)
def test_invalid_backup_settings_are_refused(changes: dict[str, object], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        PoolSettings(token="t" * 20, **changes)  # type: ignore[arg-type]

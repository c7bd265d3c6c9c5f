"""Settings: environment parsing, masking and production safety."""

from __future__ import annotations

import pytest

from envsettings import SettingsError
from gateway.settings import DEFAULT_JWT_SECRET, Settings


def test_reads_prefixed_environment_with_types() -> None:
    settings = Settings.from_env(
        {
            "CRYPTOPILOT_PORT": "9000",
            "CRYPTOPILOT_LOG_JSON": "yes",
            "CRYPTOPILOT_FIREBASE_HTTP_TIMEOUT": "2.5",
            "CRYPTOPILOT_CORS_ORIGINS": "https://a.example, https://b.example",
            "PORT": "1",
        }
    )
    assert settings.port == 9000 and settings.log_json is True
    assert settings.firebase_http_timeout == 2.5
    assert settings.cors_origins == ("https://a.example", "https://b.example")


def test_defaults_include_the_frontend_origins() -> None:
    origins = Settings().cors_origins
    assert "https://crypto-pilot.dev" in origins and "http://localhost:5174" in origins


@pytest.mark.parametrize(
    "env",
    [
        {"CRYPTOPILOT_PORT": "eighty"},
        {"CRYPTOPILOT_LOG_JSON": "maybe"},
        {"CRYPTOPILOT_ENV": "staging"},
        {"CRYPTOPILOT_RATE_LIMIT_AUTH": "10 per minute"},
        {"CRYPTOPILOT_MARKET_URL": "127.0.0.1:18070"},
        {"CRYPTOPILOT_POOLS": "p1"},
    ],
)
def test_malformed_values_are_refused_naming_the_variable(env: dict[str, str]) -> None:
    [(variable, value)] = env.items()
    with pytest.raises(SettingsError) as refused:
        Settings.from_env(env)
    assert str(refused.value).startswith(f"{variable}={value!r}: ")
    assert "\n" not in str(refused.value)


def test_keyword_construction_ignores_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRYPTOPILOT_PORT", "9999")
    assert Settings().port == 8080
    assert Settings.from_env().port == 9999
    with pytest.raises(SettingsError, match="CRYPTOPILOT_BCRYPT_ROUNDS='x'"):
        Settings(bcrypt_rounds="x")


def test_pools_need_the_pool_token() -> None:
    with pytest.raises(SettingsError, match="CRYPTOPILOT_POOL_TOKEN is empty"):
        Settings.from_env({"CRYPTOPILOT_POOLS": "p1=http://127.0.0.1:18080"})
    settings = Settings.from_env(
        {"CRYPTOPILOT_POOLS": "p1=http://127.0.0.1:18080/", "CRYPTOPILOT_POOL_TOKEN": "t"}
    )
    assert settings.pool_entries() == [("p1", "http://127.0.0.1:18080")]


def test_production_refuses_the_default_secret() -> None:
    with pytest.raises(SettingsError, match="JWT_SECRET"):
        Settings.from_env({"CRYPTOPILOT_ENV": "production"})
    with pytest.raises(SettingsError, match="JWT_SECRET"):
        Settings.from_env({"CRYPTOPILOT_ENV": "production", "CRYPTOPILOT_JWT_SECRET": "short"})
    ok = Settings.from_env({"CRYPTOPILOT_ENV": "production", "CRYPTOPILOT_JWT_SECRET": "s" * 40})
    assert ok.is_production


def test_masked_hides_secrets() -> None:
    settings = Settings(jwt_secret="super-secret-value-" * 3, smtp_password="")
    shown = settings.masked()
    assert shown["jwt_secret"] == "***" and shown["smtp_password"] == "(empty)"
    assert "super-secret" not in repr(shown) and "super-secret" not in repr(settings)
    assert shown["port"] == "8080"
    assert DEFAULT_JWT_SECRET not in Settings().masked().values()
    assert settings.jwt_secret.get_secret_value() == "super-secret-value-" * 3


def test_a_bad_secret_is_named_but_not_echoed() -> None:
    with pytest.raises(SettingsError, match="CRYPTOPILOT_JWT_SECRET") as refused:
        Settings(jwt_secret=12345678)
    assert "12345678" not in str(refused.value)


def test_print_settings_masks_secrets(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from aiohttp import web

    from cli.main import main

    monkeypatch.setenv("CRYPTOPILOT_JWT_SECRET", "do-not-print-" + "x" * 32)
    monkeypatch.setattr(web, "run_app", lambda *args, **kwargs: None)
    assert main(["gateway", "--port", "9001", "--print-settings"]) == 0
    out = capsys.readouterr().out
    assert "jwt_secret = ***" in out and "port = 9001" in out
    assert "do-not-print" not in out


def test_the_gateway_command_names_a_bad_variable_in_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from cli.main import main

    monkeypatch.setenv("CRYPTOPILOT_TRUST_FORWARDED_FOR", "perhaps")
    assert main(["gateway"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("cryptopilot: CRYPTOPILOT_TRUST_FORWARDED_FOR='perhaps': ")
    assert err.count("\n") == 1 and "Traceback" not in err

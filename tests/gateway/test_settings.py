"""Settings: environment parsing, masking, production safety and `.env.example` coverage."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from gateway.settings import DEFAULT_JWT_SECRET, Settings, SettingsError

ENV_EXAMPLE = Path(__file__).resolve().parents[2] / ".env.example"


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
    ],
)
def test_malformed_values_are_refused(env: dict[str, str]) -> None:
    with pytest.raises(SettingsError):
        Settings.from_env(env)


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
    assert "super-secret" not in repr(shown)
    assert shown["port"] == "8080"
    assert DEFAULT_JWT_SECRET not in Settings().masked().values()


def test_env_example_documents_every_setting() -> None:
    text = ENV_EXAMPLE.read_text()
    for field in dataclasses.fields(Settings):
        assert f"CRYPTOPILOT_{field.name.upper()}=" in text, field.name
        assert field.metadata["description"]

"""The `cryptopilot sandbox` command line and the settings it reads."""

from __future__ import annotations

import argparse
import subprocess
import sys

import pytest

from envsettings import SettingsError
from sandbox import cli
from sandbox.settings import SandboxSettings


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cryptopilot")
    cli.register(parser.add_subparsers(dest="command"))
    return parser


def test_settings_defaults_and_environment() -> None:
    assert SandboxSettings() == SandboxSettings.from_env({})
    assert SandboxSettings().port == 8090
    env = {"CRYPTOPILOT_SANDBOX_PORT": "9100", "CRYPTOPILOT_SANDBOX_VOLATILITY": "0.002"}
    settings = SandboxSettings.from_env(env)
    assert (settings.port, settings.volatility, settings.seed) == (9100, 0.002, 42)
    assert "port=9100" in settings.describe()
    with pytest.raises(SettingsError, match="^CRYPTOPILOT_SANDBOX_SEED='many': "):
        SandboxSettings.from_env({"CRYPTOPILOT_SANDBOX_SEED": "many"})
    with pytest.raises(SettingsError, match="^CRYPTOPILOT_SANDBOX_VOLATILITY='high': "):
        SandboxSettings.from_env({"CRYPTOPILOT_SANDBOX_VOLATILITY": "high"})


def test_command_line_overrides_only_what_is_given() -> None:
    args = build_parser().parse_args(["sandbox", "--port", "9200", "--seed", "5"])
    assert args.func is cli.run
    settings = SandboxSettings.from_env(
        {"CRYPTOPILOT_SANDBOX_PORT": "9100", "CRYPTOPILOT_SANDBOX_VOLATILITY": "0.002"},
        host=args.host,
        port=args.port,
        seed=args.seed,
        volatility=args.volatility,
    )
    assert settings == SandboxSettings(port=9200, seed=5, volatility=0.002)


def test_a_bad_variable_is_one_line_naming_it() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "sandbox"],
        capture_output=True,
        text=True,
        timeout=60,
        env={"CRYPTOPILOT_SANDBOX_PORT": "eighty", "PATH": ""},
    )
    assert result.returncode == 2
    assert result.stderr.startswith("python -m sandbox: CRYPTOPILOT_SANDBOX_PORT='eighty': ")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_help_names_every_option_with_its_default() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "sandbox", "--help"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        env={"CRYPTOPILOT_SANDBOX_PORT": "8123", "PATH": ""},
    )
    for option in ("--host", "--port", "--seed", "--volatility", "--log-level"):
        assert option in result.stdout
    assert "default 8123" in result.stdout
    assert "Binance" in result.stdout

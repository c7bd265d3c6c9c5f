"""`cryptopilot pool ...` parsing: every command has --help; `run` validates its settings."""

from __future__ import annotations

import json

import pytest

from cli.main import main

COMMANDS = ["run", "add", "remove", "start", "stop", "restart", "status", "list", "health"]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_pool_command_has_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["pool", command, "--help"])
    assert done.value.code == 0
    assert "usage: cryptopilot pool" in capsys.readouterr().out


def test_run_help_shows_settings_from_the_dataclass(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["pool", "run", "--help"])
    out = capsys.readouterr().out
    assert "CRYPTOPILOT_POOL_CAPACITY" in out
    assert "default 10" in out


def test_print_settings_masks_the_token(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CRYPTOPILOT_POOL_CAPACITY", "7")
    assert main(["pool", "run", "--token", "s3cret", "--pool-id", "p9", "--print-settings"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["token"] == "***"
    assert shown["capacity"] == "7"
    assert shown["data_dir"] == "var/pools/p9"


def test_run_without_token_fails(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CRYPTOPILOT_POOL_TOKEN", raising=False)
    assert main(["pool", "run"]) == 2
    assert "token is required" in capsys.readouterr().err


def test_a_bad_variable_is_one_line_naming_it(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CRYPTOPILOT_POOL_LOG_JSON", "sometimes")
    assert main(["pool", "run", "--token", "t", "--print-settings"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("cryptopilot: CRYPTOPILOT_POOL_LOG_JSON='sometimes': ")
    assert err.count("\n") == 1


def test_client_reports_unreachable_pool(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["pool", "list", "--url", "http://127.0.0.1:9", "--token", "x"]) == 1
    assert "cannot reach the pool" in capsys.readouterr().err

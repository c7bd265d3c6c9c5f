"""`.env.example` is what `cryptopilot settings env-example` prints, and it is complete."""

from __future__ import annotations

from pathlib import Path

import pytest

from cli.main import main
from cli.settings import SECTIONS, env_example

ENV_EXAMPLE = Path(__file__).resolve().parents[2] / ".env.example"


def test_env_example_is_up_to_date() -> None:
    # Fails after a setting changed: run `cryptopilot settings env-example > .env.example`.
    assert ENV_EXAMPLE.read_text(encoding="utf-8") == env_example()


def test_every_setting_is_listed_with_a_description() -> None:
    text = env_example()
    for _, settings_class in SECTIONS:
        for name, info in settings_class.model_fields.items():
            assert info.description, name
            assert f"\n{settings_class.env_name(name)}=" in text, name
    assert "\nCRYPTOPILOT_JWT_SECRET=\n" in text  # secrets have no default shown
    assert "dev-only-insecure" not in text


def test_the_command_prints_it(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["settings", "env-example"]) == 0
    assert capsys.readouterr().out == env_example()

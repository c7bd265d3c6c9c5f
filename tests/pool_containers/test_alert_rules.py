"""pool_containers/monitoring/rules: promtool checks the rules and runs their unit tests."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from tests.pool_containers.tools import POOL_CONTAINERS, REPO, debian_tool

RULES_DIR = POOL_CONTAINERS / "monitoring" / "rules"
RULES = RULES_DIR / "cryptopilot.rules.yml"
RULE_TESTS = RULES_DIR / "cryptopilot.rules.test.yml"
OPERATIONS = REPO / "docs" / "operations.md"
RUNBOOK_PREFIX = "https://github.com/OWNER/crypto-pilot/blob/main/docs/operations.md#"
SEVERITIES = {"critical", "warning"}


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = YAML(typ="safe").load(path.read_text())
    return data


def alerts() -> list[dict[str, Any]]:
    return [rule for group in load(RULES)["groups"] for rule in group["rules"] if "alert" in rule]


def promtool(*args: str, cwd: Path = RULES_DIR) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [debian_tool("promtool", "prometheus"), *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
    )


def github_anchor(heading: str) -> str:
    """The anchor GitHub gives a Markdown heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def test_promtool_checks_the_rules() -> None:
    result = promtool("check", "rules", str(RULES))
    assert result.returncode == 0, result.stdout + result.stderr
    rules = sum(len(group["rules"]) for group in load(RULES)["groups"])
    assert f"SUCCESS: {rules} rules found" in result.stdout


def test_the_rules_unit_tests_pass() -> None:
    result = promtool("test", "rules", str(RULE_TESTS))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_every_alert_fires_and_resolves_in_the_unit_tests() -> None:
    fired: dict[str, list[int]] = {}
    quiet: dict[str, list[int]] = {}
    for case in load(RULE_TESTS)["tests"]:
        for check in case.get("alert_rule_test", []):
            minutes = int(str(check["eval_time"]).removesuffix("m"))
            target = fired if check["exp_alerts"] else quiet
            target.setdefault(check["alertname"], []).append(minutes)
    for rule in alerts():
        name = rule["alert"]
        assert name in fired, f"{name} never fires in {RULE_TESTS.name}"
        assert any(q > min(fired[name]) for q in quiet.get(name, [])), f"{name} never resolves"
        assert any(q < min(fired[name]) for q in quiet.get(name, [])), f"{name}: no quiet start"


def test_every_alert_is_labelled_annotated_and_has_a_runbook_section() -> None:
    headings = {
        github_anchor(line.lstrip("#"))
        for line in OPERATIONS.read_text().splitlines()
        if line.startswith("### ")
    }
    names = [rule["alert"] for rule in alerts()]
    assert len(names) == len(set(names))
    for rule in alerts():
        assert rule["labels"]["severity"] in SEVERITIES, rule["alert"]
        annotations = rule["annotations"]
        assert annotations["summary"] and annotations["description"], rule["alert"]
        url = annotations["runbook_url"]
        assert url == RUNBOOK_PREFIX + rule["alert"].lower(), rule["alert"]
        assert url.removeprefix(RUNBOOK_PREFIX) in headings, f"no runbook for {rule['alert']}"


def test_no_alert_groups_by_a_user_label() -> None:
    text = RULES.read_text()
    for forbidden in ("user_id", "email", "owner"):
        assert forbidden not in text


@pytest.mark.parametrize(
    ("original", "changed"),
    [
        ("> 0.9", "> 0.96"),  # PoolMemoryNearLimit would miss 95%
        (">= 3", ">= 4"),  # BotRestartLoop would miss 3 restarts
        ("6 * cryptopilot_bot_throttle_seconds", "5 * cryptopilot_bot_throttle_seconds"),
        ('|/ws/.*"', '"'),  # GatewayP99Latency would count WebSocket connections
    ],
)
def test_the_unit_tests_catch_a_changed_threshold(
    tmp_path: Path, original: str, changed: str
) -> None:
    text = RULES.read_text()
    assert original in text
    shutil.copy(RULE_TESTS, tmp_path / RULE_TESTS.name)
    (tmp_path / RULES.name).write_text(text.replace(original, changed))
    result = promtool("test", "rules", RULE_TESTS.name, cwd=tmp_path)
    assert result.returncode != 0, result.stdout
    assert "FAILED" in result.stdout + result.stderr

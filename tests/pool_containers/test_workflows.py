""".github/workflows: actionlint (with shellcheck on every `run:`), the schema, what each does."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from tests.pool_containers.tools import REPO, VENV_BIN, venv_tool

WORKFLOWS = REPO / ".github" / "workflows"
NAMES = ("ci.yml", "release.yml", "deploy.yml")


def workflow(name: str) -> dict[str, Any]:
    data: dict[str, Any] = YAML(typ="safe").load((WORKFLOWS / name).read_text())
    return data


def actionlint(*paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [venv_tool("actionlint"), "-shellcheck", venv_tool("shellcheck"), *map(str, paths)],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "PATH": f"{VENV_BIN}:{os.environ.get('PATH', '')}"},
    )


def test_workflows_are_actionlint_clean():
    assert sorted(p.name for p in WORKFLOWS.iterdir()) == sorted(NAMES)
    result = actionlint(*(WORKFLOWS / name for name in NAMES))
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_runs_shellcheck_on_run_steps(tmp_path: Path):
    text = (WORKFLOWS / "ci.yml").read_text().replace("run: bash .ci/run", "run: cd $HOME/x")
    broken = tmp_path / ".github" / "workflows" / "ci.yml"
    broken.parent.mkdir(parents=True)
    broken.write_text(text)
    result = actionlint(broken)
    assert result.returncode == 1
    assert "SC2086" in result.stdout  # the unquoted $HOME


def test_workflows_validate_against_the_github_workflow_schema():
    result = subprocess.run(
        [
            venv_tool("check-jsonschema"),
            "--builtin-schema",
            "vendor.github-workflows",
            *(str(WORKFLOWS / name) for name in NAMES),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_ci_runs_make_test_on_every_push_with_postgres():
    ci = workflow("ci.yml")
    assert set(ci["on"]) == {"push", "pull_request"}
    job = ci["jobs"]["test"]
    assert job["env"]["CI"] == "true"
    assert job["services"]["postgres"]["ports"] == ["5432:5432"]
    assert job["env"]["CRYPTOPILOT_TEST_PG_URL"].endswith("@127.0.0.1:5432/postgres")
    assert job["steps"][-1]["run"] == "bash .ci/run"
    assert "make test" in (REPO / ".ci" / "run").read_text()


def test_release_pushes_both_images_on_tags():
    release = workflow("release.yml")
    assert release["on"]["push"]["tags"] == ["v*"]
    assert release["permissions"]["packages"] == "write"
    builds = [s for s in release["jobs"]["images"]["steps"] if "build-push" in s.get("uses", "")]
    assert {s["with"]["file"] for s in builds} == {"Dockerfile.pool", "Dockerfile.gateway"}
    tags = {s["with"]["tags"].split("}}/")[1].split(":")[0] for s in builds}
    assert tags == {"cryptopilot-pool", "cryptopilot-gateway"}
    assert all(s["with"]["push"] is True for s in builds)


def test_deploy_runs_deploy_sh_after_a_release_or_by_hand():
    deploy = workflow("deploy.yml")
    assert deploy["on"]["workflow_run"]["workflows"] == ["release"]
    assert "tag" in deploy["on"]["workflow_dispatch"]["inputs"]
    steps = deploy["jobs"]["deploy"]["steps"]
    assert "./deploy.sh" in steps[-1]["run"]
    assert "deploy.sh" in steps[-2]["run"] and "compose.yml" in steps[-2]["run"]

"""pool_containers/deploy.sh: shell checks, and its rollback decision against real HTTP."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import free_port
from tests.pool_containers.tools import POOL_CONTAINERS, venv_tool

DEPLOY = POOL_CONTAINERS / "deploy.sh"
STANDIN = Path(__file__).with_name("compose_standin.py")
ROLLED_BACK, BROKEN = 1, 2


def test_deploy_script_parses_and_is_shellcheck_clean():
    subprocess.run(["bash", "-n", str(DEPLOY)], check=True)
    result = subprocess.run(
        [venv_tool("shellcheck"), "--severity=style", str(DEPLOY)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout


def test_deploy_script_refuses_a_missing_tag(tmp_path: Path):
    result = subprocess.run(["bash", str(DEPLOY)], capture_output=True, text=True)
    assert result.returncode == 64
    assert "usage" in result.stderr


@pytest.fixture
def vps(tmp_path: Path) -> Iterator[Path]:
    """pool_containers/ as deployed, running tag 1.0.0; its health server stopped after."""
    folder = tmp_path / "pool_containers"
    folder.mkdir()
    for name in ("deploy.sh", "render_pools.py", "compose.yml"):
        shutil.copy2(POOL_CONTAINERS / name, folder / name)
    shutil.copytree(POOL_CONTAINERS / "monitoring", folder / "monitoring")
    env = folder / ".env"
    env.write_text(
        f"CRYPTOPILOT_IMAGE_TAG=1.0.0\nCRYPTOPILOT_POOL_COUNT=1\n"
        f"CRYPTOPILOT_GATEWAY_PORT={free_port()}\n"
    )
    env.chmod(0o600)
    yield folder
    pid_file = folder / "standin-server.pid"
    if pid_file.exists():
        try:
            os.kill(int(pid_file.read_text()), signal.SIGTERM)
        except ProcessLookupError:
            pass


def deploy(folder: Path, tag: str, healthy: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DOCKER_COMPOSE": f"{sys.executable} {STANDIN}",
        "STANDIN_HEALTHY_TAGS": healthy,
        "CRYPTOPILOT_HEALTH_TIMEOUT": "6",
    }
    return subprocess.run(
        ["bash", str(folder / "deploy.sh"), tag],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def calls(folder: Path) -> list[str]:
    return (folder / "calls.log").read_text().splitlines()


def health(folder: Path) -> int:
    port = [
        line.split("=")[1]
        for line in (folder / ".env").read_text().splitlines()
        if line.startswith("CRYPTOPILOT_GATEWAY_PORT=")
    ][0]
    result = subprocess.run(
        [
            "curl",
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            f"http://127.0.0.1:{port}/api/health",
        ],
        capture_output=True,
        text=True,
    )
    return int(result.stdout)


def tag_in(folder: Path) -> str:
    lines = (folder / ".env").read_text().splitlines()
    return [line for line in lines if line.startswith("CRYPTOPILOT_IMAGE_TAG=")][-1].split("=")[1]


@pytest.mark.e2e
def test_a_healthy_tag_stays(vps: Path):
    result = deploy(vps, "1.1.0", healthy="1.0.0 1.1.0")
    assert result.returncode == 0, result.stderr
    assert tag_in(vps) == "1.1.0"
    assert calls(vps) == ["pull --quiet @ 1.1.0", "up -d @ 1.1.0"]
    assert health(vps) == 200
    assert (vps / ".env").stat().st_mode & 0o777 == 0o600  # secrets stay private


@pytest.mark.e2e
def test_an_unhealthy_tag_is_rolled_back_to_the_previous_one(vps: Path):
    result = deploy(vps, "2.0.0", healthy="1.0.0")
    assert result.returncode == ROLLED_BACK, result.stderr
    assert "2.0.0 is NOT healthy" in result.stderr
    assert "rolled back: 1.0.0 is healthy again" in result.stderr
    assert tag_in(vps) == "1.0.0"
    assert calls(vps) == [
        "pull --quiet @ 2.0.0",
        "up -d @ 2.0.0",
        "pull --quiet @ 1.0.0",
        "up -d @ 1.0.0",
    ]
    assert health(vps) == 200


@pytest.mark.e2e
def test_a_failed_rollback_says_so(vps: Path):
    result = deploy(vps, "2.0.0", healthy="")
    assert result.returncode == BROKEN
    assert "rollback to 1.0.0 is NOT healthy either" in result.stderr
    assert health(vps) == 503

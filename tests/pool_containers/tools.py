"""Debian tools the deployment tests run: installed with apt when missing, never skipped in CI."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
POOL_CONTAINERS = REPO / "pool_containers"
VENV_BIN = Path(sys.executable).parent


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def debian_tool(command: str, package: str) -> str:
    """The path of `command`, apt-installing `package` first when it is missing.

    Without it (no root, no apt) the test skips, except under CI=true, where it fails.
    """
    found = shutil.which(command) or shutil.which(command, path="/usr/sbin:/sbin")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=False, env=env, capture_output=True)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "--no-install-recommends", package],
            check=False,
            env=env,
            capture_output=True,
        )
        found = shutil.which(command) or shutil.which(command, path="/usr/sbin:/sbin")
        if found:
            return found
    message = f"{command} (Debian package {package}) is not installed and cannot be installed"
    if in_ci():
        pytest.fail(message)
    pytest.skip(message)


def venv_tool(name: str) -> str:
    """A console script of the dev extra in this interpreter's venv (pinned in pyproject)."""
    path = VENV_BIN / name
    assert path.exists(), f"{name} is missing: `pip install -e '.[dev]'`"
    return str(path)

"""The strategy store's repository travels as a git bundle: whole history, checked HEAD."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from backup.errors import TargetNotEmpty
from backup.strategyrepo import BUNDLE_MEMBER, capture_strategy_repo, restore_strategy_repo


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def _repo(path: Path) -> Path:
    path.mkdir()
    _git(path, "init", "-q", "-b", "main")
    for version in (1, 2):
        (path / "Probe.py").write_text(f"VERSION = {version}\n")
        _git(path, "add", "Probe.py")
        _git(path, "commit", "-q", "-m", f"v{version}")
    return path


def test_the_bundle_restores_every_commit_and_refuses_a_full_target(tmp_path: Path) -> None:
    repo, staging = _repo(tmp_path / "repo"), tmp_path / "staging"
    staging.mkdir()
    head = capture_strategy_repo(repo, staging)
    assert head == _git(repo, "rev-parse", "HEAD") and (staging / BUNDLE_MEMBER).is_file()

    target = tmp_path / "new" / "repo"
    restore_strategy_repo(staging, target, head, force=False)
    assert _git(target, "log", "--format=%s") == "v2\nv1"
    assert (target / "Probe.py").read_text() == "VERSION = 2\n"
    assert _git(target, "remote") == ""  # no link back to the staging folder

    with pytest.raises(TargetNotEmpty, match="not empty"):
        restore_strategy_repo(staging, target, head, force=False)
    restore_strategy_repo(staging, target, head, force=True)
    assert _git(target, "rev-parse", "HEAD") == head


def test_no_repository_means_nothing_to_bundle(tmp_path: Path) -> None:
    assert capture_strategy_repo(tmp_path / "missing", tmp_path) is None
    assert not (tmp_path / BUNDLE_MEMBER).exists()

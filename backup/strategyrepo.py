"""The strategy store's git repository in the archive: one `git bundle` of every ref.

A bundle is git's own consistent, single-file copy of a repository (objects and refs as of one
moment), so the store's history — every version the bots' records name — moves whole. The
restore clones it and checks that HEAD is the archived commit.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from backup.errors import BackupError, TargetNotEmpty

BUNDLE_MEMBER = "strategy-repo.bundle"
# No host configuration (hooks, templates, signing) may change what is copied.
_GIT_ENV = {"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null", "HOME": "/nonexistent"}


def _git(*args: str, cwd: Path | None = None) -> str:
    git = shutil.which("git")
    if git is None:
        raise BackupError("the strategy store needs the git binary (apt-get install git)")
    done = subprocess.run(  # noqa: S603 - fixed git arguments, no shell
        [git, *args], cwd=cwd, env=_GIT_ENV, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise BackupError(f"git {args[0]} failed: {done.stderr.strip() or done.stdout.strip()}")
    return done.stdout.strip()


def capture_strategy_repo(repo: Path, staging: Path) -> str | None:
    """Bundle the store's repository into the staging folder; its HEAD, or None if absent."""
    if not (repo / ".git").exists():
        return None
    head = _git("rev-parse", "HEAD", cwd=repo)
    _git("bundle", "create", str(staging / BUNDLE_MEMBER), "--all", cwd=repo)
    return head


def check_repo_target(target: Path, force: bool) -> None:
    """Raise TargetNotEmpty unless `target` is missing or empty, or `force` replaces it."""
    if not force and target.exists() and any(target.iterdir()):
        raise TargetNotEmpty(f"strategy repository {target} is not empty")


def restore_strategy_repo(unpacked: Path, target: Path, head: str, force: bool) -> None:
    """Clone the archived bundle into `target` and check it stands at `head`."""
    check_repo_target(target, force)
    if target.exists():
        shutil.rmtree(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    _git("clone", "--quiet", str(unpacked / BUNDLE_MEMBER), str(target))
    restored = _git("rev-parse", "HEAD", cwd=target)
    if restored != head:
        raise BackupError(f"restored strategy repository is at {restored}, archived {head}")
    _git("remote", "remove", "origin", cwd=target)  # the bundle's path is the staging folder

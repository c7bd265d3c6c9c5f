"""The git binary as the store uses it: one repository, commits with a given author and time.

Every call runs `git` without a shell, with a fixed environment (no user or system config, so
the host's git settings cannot change what is committed), and raises `GitError` with git's own
message when it fails.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

logger = logging.getLogger(__name__)


class GitError(RuntimeError):
    """git refused or failed; the message is git's stderr."""


@dataclass(frozen=True)
class Author:
    """Who a commit is by (the admin user making the change)."""

    name: str
    email: str


def git_binary() -> str:
    found = shutil.which("git")
    if found is None:
        raise GitError("the git binary is not installed")
    return found


class GitRepo:
    """One repository on disk; paths inside it are POSIX relative paths."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def exists(self) -> bool:
        return (self.root / ".git").is_dir()

    async def run(
        self, *args: str, stdin: bytes | None = None, env: dict[str, str] | None = None
    ) -> bytes:
        """git's stdout for `git ARGS` in the repository."""
        base = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.root),
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": os.devnull,
            "LC_ALL": "C",
        }
        process = await asyncio.create_subprocess_exec(
            git_binary(),
            "-C",
            str(self.root),
            *args,
            stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=base | (env or {}),
        )
        out, err = await process.communicate(stdin)
        if process.returncode != 0:
            raise GitError(f"git {args[0]}: {err.decode(errors='replace').strip()}")
        return out

    async def init(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        await self.run("init", "--quiet", "--initial-branch=main")

    async def head(self) -> str | None:
        """The commit id of HEAD, or None before the first commit."""
        try:
            return (await self.run("rev-parse", "--verify", "--quiet", "HEAD")).decode().strip()
        except GitError:
            return None

    async def commit(
        self,
        writes: dict[str, bytes],
        message: str,
        author: Author,
        when: datetime,
    ) -> str:
        """Write files and commit them all as `author` at `when`; the new commit id.

        The working tree is put back to HEAD first, so a commit holds its own writes only,
        whatever an interrupted one left behind.
        """
        if await self.head() is not None:
            await self._to_head()
        for relative, content in writes.items():
            target = self.root / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        try:
            await self._commit_all(message, author, when)
        except GitError:
            try:
                await self._to_head()
            except GitError as exc:  # e.g. another process holds the index lock
                logger.warning("strategy repository not reset (the next commit does it): %s", exc)
            raise
        head = await self.head()
        assert head is not None  # noqa: S101 - just committed
        return head

    async def _commit_all(self, message: str, author: Author, when: datetime) -> None:
        await self.run("add", "--all")
        stamp = when.isoformat()
        await self.run(
            "commit",
            "--quiet",
            "--allow-empty",
            "--no-verify",
            "-m",
            message,
            env={
                "GIT_AUTHOR_NAME": author.name,
                "GIT_AUTHOR_EMAIL": author.email,
                "GIT_AUTHOR_DATE": stamp,
                "GIT_COMMITTER_NAME": author.name,
                "GIT_COMMITTER_EMAIL": author.email,
                "GIT_COMMITTER_DATE": stamp,
            },
        )

    async def _to_head(self) -> None:
        """Put the working tree back to HEAD exactly (no stray or changed files)."""
        await self.run("reset", "--hard", "--quiet", "HEAD")
        await self.run("clean", "-d", "--force", "--quiet")

    async def files(self, commit: str, suffix: str = "") -> list[str]:
        """Paths of the files in the tree of `commit` (ending in `suffix`)."""
        raw = await self.run("ls-tree", "-r", "--name-only", "-z", commit)
        return sorted(p for p in raw.decode().split("\0") if p and p.endswith(suffix))

    async def read(self, commit: str, path: str) -> bytes | None:
        """The file at `path` in `commit`, or None if it is not there."""
        try:
            return await self.run("show", f"{commit}:{path}")
        except GitError:
            return None

    async def diff(self, old: str, new: str, paths: tuple[str, ...] = ()) -> str:
        """The unified diff from `old` to `new` (limited to `paths`)."""
        out = await self.run("diff", "--no-color", old, new, "--", *paths)
        return out.decode(errors="replace")

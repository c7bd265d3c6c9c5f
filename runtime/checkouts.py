"""The pool's read-only checkouts of the strategy store, one per commit its bots run.

The gateway sends a version's whole tree (`strategy_version.files`); it is written once under
`<data dir>/strategies/<commit>/` (files 0444, folders 0555) through a temporary folder
renamed into place, so a checkout is either complete or absent. Each checkout knows the
bots that use it; the last bot leaving it removes it.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import shutil
import stat
from collections.abc import Iterable, Mapping
from pathlib import Path

from runtime.botconfig import check_strategy, library_of, read_library, strategies_dir
from runtime.errors import Conflict
from runtime.spec import BotSpec

logger = logging.getLogger(__name__)

FILE_MODE = 0o444
FOLDER_MODE = 0o555
TEMP_PREFIX = ".tmp-"


class CheckoutMissing(RuntimeError):
    """A bot's checkout is not on disk (its pool's data folder lost it)."""


class Checkouts:
    """`<data dir>/strategies/`: the checkouts and which bots use each.

    The pool calls these under its lock, so a checkout is never removed between being found
    and being counted.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self._users: dict[str, set[str]] = {}

    def path(self, commit: str) -> Path:
        return self.root / commit

    def folder(self, spec: BotSpec) -> Path:
        """Where the bot's FreqTrade finds its strategy: its checkout, or `strategies/`."""
        version = spec.strategy_version
        return strategies_dir() if version is None else self.path(version.commit)

    async def check(self, spec: BotSpec, files: Mapping[str, str] | None) -> None:
        """422 UNKNOWN_STRATEGY unless the spec's class is defined where the bot will look:
        in `files` (the version's tree, before anything is written), in its checkout, or in
        the shipped `strategies/`."""
        version = spec.strategy_version
        if version is None:
            check_strategy(spec.strategy)
            return
        where = f"strategy version {version.version} ({version.commit})"
        if files is not None:
            check_strategy(spec.strategy, library_of(files), where)
            return
        folder = self.path(version.commit)
        if not folder.is_dir():
            raise Conflict(
                f"{where} is not checked out in this pool: send it with its files",
                "CHECKOUT_MISSING",
            )
        check_strategy(spec.strategy, await asyncio.to_thread(read_library, folder), where)

    async def enter(self, spec: BotSpec, files: Mapping[str, str] | None, bot_id: str) -> None:
        """The bot runs `spec`'s version: write its checkout if the files came along, count
        the bot in."""
        version = spec.strategy_version
        if version is None:
            return
        if files is not None:
            await asyncio.to_thread(self.materialise, version.commit, files)
        self.acquire(version.commit, bot_id)

    def leave(self, old: BotSpec, new: BotSpec | None, bot_id: str) -> None:
        """The bot stops using `old`'s checkout (unless `new` has the same commit)."""
        version = old.strategy_version
        if version is None:
            return
        if new is not None and new.strategy_version is not None:
            if new.strategy_version.commit == version.commit:
                return
        self.release(version.commit, bot_id)

    def users(self, commit: str) -> frozenset[str]:
        return frozenset(self._users.get(commit, ()))

    def restore(self, in_use: Mapping[str, str]) -> list[str]:
        """After a pool restart: bot id -> commit from pool.json. Removes temporary folders
        and checkouts no bot uses; returns the bots whose checkout is missing."""
        self._users = {}
        for bot_id, commit in in_use.items():
            self._users.setdefault(commit, set()).add(bot_id)
        if self.root.is_dir():
            for entry in self.root.iterdir():
                if entry.name.startswith(TEMP_PREFIX) or entry.name not in self._users:
                    logger.info("removing unused strategy checkout %s", entry.name)
                    _remove(entry)
        return sorted(b for b, c in in_use.items() if not self.path(c).is_dir())

    def materialise(self, commit: str, files: Mapping[str, str]) -> Path:
        """The checkout of `commit`, written from `files` unless it exists already."""
        target = self.path(commit)
        if target.is_dir():
            return target
        self.root.mkdir(parents=True, exist_ok=True)
        temp = self.root / f"{TEMP_PREFIX}{commit}-{secrets.token_hex(4)}"
        try:
            _write_tree(temp, files)
            temp.rename(target)
        except BaseException:
            _remove(temp)
            raise
        _fsync_folder(self.root)
        logger.info("strategy checkout %s written (%d files)", commit, len(files))
        return target

    def acquire(self, commit: str, bot_id: str) -> Path:
        """Record that `bot_id` runs `commit`; CheckoutMissing if it was never written."""
        target = self.path(commit)
        if not target.is_dir():
            raise CheckoutMissing(f"strategy checkout {commit} is missing from {self.root}")
        self._users.setdefault(commit, set()).add(bot_id)
        return target

    def release(self, commit: str, bot_id: str) -> bool:
        """`bot_id` no longer runs `commit`; removes the checkout if nobody else does."""
        users = self._users.get(commit, set())
        users.discard(bot_id)
        if users:
            return False
        self._users.pop(commit, None)
        _remove(self.path(commit))
        logger.info("removed strategy checkout %s (no bot uses it)", commit)
        return True


def _write_tree(root: Path, files: Mapping[str, str]) -> None:
    root.mkdir(mode=0o700)
    folders: set[Path] = {root}
    for relative, source in files.items():
        path = root / relative
        for parent in _parents_below(path, root):
            if parent not in folders:
                parent.mkdir(mode=0o700)
                folders.add(parent)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(source)
            handle.flush()
            os.fsync(handle.fileno())
        path.chmod(FILE_MODE)
    # Deepest first: a folder made read-only takes no more entries.
    for folder in sorted(folders, key=lambda f: len(f.parts), reverse=True):
        folder.chmod(FOLDER_MODE)


def _parents_below(path: Path, root: Path) -> Iterable[Path]:
    """`path`'s folders strictly below `root`, outermost first."""
    return reversed([p for p in path.parents if p != root and root in p.parents])


def _remove(path: Path) -> None:
    """Delete a (read-only) checkout or temporary folder; nothing if it is gone."""
    if not path.exists():
        return
    for folder, _, _ in os.walk(path):
        Path(folder).chmod(stat.S_IRWXU)
    shutil.rmtree(path, ignore_errors=True)


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

"""The strategy store: published strategies, their versions, and publishing a change.

The repository holds the strategy code at its root (`*.py`, every file FreqTrade loads from a
bot's strategy folder) and, per strategy, `meta/<ClassName>.json` (what S1/S2 show, the
version counter and changelog) and `meta/<ClassName>.report.json` (the validation report of
the version published in that commit). A strategy is published once it has a metadata file;
version N of it is the N-th commit that changed that file. A change is committed only after
every strategy it touches passed validation, all in one commit by the admin who made it.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from gateway.errors import BadInput, Conflict, NotFound
from gateway.services.common import Clock, iso, utcnow
from gateway.services.strategies.gitrepo import Author, GitError, GitRepo
from gateway.services.strategies.metadata import (
    EDITABLE,
    META_DIR,
    StrategyMeta,
    initial_meta,
    meta_path,
    report_path,
)
from gateway.services.strategies.sources import SourceTree, read_tree
from gateway.services.strategies.validation import StrategyRefused, Validator

logger = logging.getLogger(__name__)

SYSTEM_AUTHOR = Author("Crypto-Pilot", "system@crypto-pilot.dev")


@dataclass(frozen=True)
class Version:
    """One published version of a strategy: its number and the commit that made it."""

    strategy: str
    version: int
    commit: str
    message: str = ""
    author: str = ""
    at: str = ""


@dataclass(frozen=True)
class Change:
    """An upload or edit: a file's new source and/or metadata changes of its strategies."""

    file_name: str
    source: str | None
    message: str
    metadata: Mapping[str, Any]


def check_file_name(name: str) -> str:
    """A top-level `*.py` name (FreqTrade loads the strategy folder's files, not subfolders)."""
    path = PurePosixPath(name)
    if len(path.parts) != 1 or path.suffix != ".py" or name.startswith((".", "_")):
        raise BadInput(f"{name!r} is not a file name like MyStrategy.py", "INVALID_FILE_NAME")
    return name


class StrategyStore:
    """The git repository of strategies; one change at a time in this process."""

    def __init__(self, root: Path, validator: Validator, clock: Clock = utcnow) -> None:
        self.repo = GitRepo(root)
        self.validator = validator
        self.clock = clock
        self._writing = asyncio.Lock()

    # -- opening ------------------------------------------------------------------------------

    async def open(self, seed: Path) -> str:
        """Create the repository on first use, seeded from `seed` (shipped strategies); HEAD."""
        if self.repo.exists():
            head = await self.repo.head()
            if head is not None:
                return head
        await self.repo.init()
        files = await asyncio.to_thread(_read_seed, seed)
        tree = read_tree(files)
        writes = {name: text.encode() for name, text in files.items()}
        at = iso(self.clock()) or ""
        for info in tree.strategies():
            meta = initial_meta(info).next_version(
                "Shipped with Crypto-Pilot", SYSTEM_AUTHOR.name, at
            )
            writes[meta.path] = meta.to_json()
        head = await self.repo.commit(
            writes, f"Seed the store from {seed.name}/", SYSTEM_AUTHOR, self.clock()
        )
        logger.info("strategy store created at %s from %s (%s)", self.repo.root, seed, head)
        return head

    async def head(self) -> str:
        head = await self.repo.head()
        if head is None:
            raise NotFound("The strategy store is empty", "STORE_EMPTY")
        return head

    # -- reading ------------------------------------------------------------------------------

    async def catalogue(self, commit: str | None = None) -> list[StrategyMeta]:
        """Every published strategy's metadata (at `commit`, default HEAD), by class name."""
        at = commit or await self.head()
        found = []
        for path in await self.repo.files(at, ".json"):
            if path.startswith(f"{META_DIR}/") and not path.endswith(".report.json"):
                raw = await self.repo.read(at, path)
                if raw is not None:
                    found.append(StrategyMeta.from_json(raw))
        return sorted(found, key=lambda m: m.className)

    async def meta(self, strategy: str, commit: str | None = None) -> StrategyMeta:
        # Only a Python class name can be a strategy; anything else must not reach git, which
        # reads `HEAD:meta/x[.json` as an empty file instead of refusing it.
        if not (strategy.isascii() and strategy.isidentifier()):
            raise NotFound(f"Strategy not found: {strategy}", "UNKNOWN_STRATEGY")
        raw = await self.repo.read(commit or await self.head(), meta_path(strategy))
        if raw is None:
            raise NotFound(f"Strategy not found: {strategy}", "UNKNOWN_STRATEGY")
        return StrategyMeta.from_json(raw)

    async def versions(self, strategy: str) -> list[Version]:
        """Every published version of the strategy, oldest first."""
        meta = await self.meta(strategy)
        raw = await self.repo.run("log", "--format=%H", "--reverse", "--", meta_path(strategy))
        commits = raw.decode().split()
        # The n-th commit that touched the metadata published version n.
        return [
            Version(strategy, entry.version, commit, entry.message, entry.author, entry.at)
            for entry, commit in zip(meta.changelog, commits, strict=False)
        ]

    async def version(self, strategy: str, number: int | None = None) -> Version:
        """Version `number` of the strategy (None: its latest)."""
        versions = await self.versions(strategy)
        if number is None:
            return versions[-1]
        for found in versions:
            if found.version == number:
                return found
        raise NotFound(f"{strategy} has no version {number}", "UNKNOWN_VERSION")

    async def tree(self, commit: str) -> dict[str, str]:
        """Every strategy source file of the store at `commit` (what a pool checks out)."""
        files: dict[str, str] = {}
        for path in await self.repo.files(commit, ".py"):
            raw = await self.repo.read(commit, path)
            if raw is not None:
                files[path] = raw.decode("utf-8")
        return files

    async def report(self, strategy: str, number: int | None = None) -> dict[str, Any] | None:
        """The validation report stored with a version (None for shipped, unchecked ones)."""
        found = await self.version(strategy, number)
        raw = await self.repo.read(found.commit, report_path(strategy))
        return None if raw is None else dict(json.loads(raw))

    async def source(self, strategy: str, number: int | None = None) -> str:
        found = await self.version(strategy, number)
        meta = await self.meta(strategy, found.commit)
        raw = await self.repo.read(found.commit, meta.fileName)
        return "" if raw is None else raw.decode("utf-8")

    async def diff(self, strategy: str, old: int, new: int) -> str:
        """The unified diff of the strategy's code and metadata between two versions."""
        before, after = await self.version(strategy, old), await self.version(strategy, new)
        files = {(await self.meta(strategy, v.commit)).fileName for v in (before, after)}
        return await self.repo.diff(
            before.commit, after.commit, (*sorted(files), meta_path(strategy))
        )

    # -- publishing ---------------------------------------------------------------------------

    async def validate(self, change: Change) -> list[dict[str, Any]]:
        """The reports of every strategy the change touches, without publishing anything."""
        _, _, _, _, reports = await self._checked(change)
        return reports

    async def publish(self, change: Change, author: Author) -> list[StrategyMeta]:
        """Validate and commit an upload/edit; the new metadata of each strategy it touched.

        Every strategy defined in the file, and every one inheriting from a class in it, gets
        a new version; a failed check refuses the whole change (422 with the reports).
        """
        async with self._writing:
            head, tree, touched, writes, reports = await self._checked(change)
            failed = [r for r in reports if not r["passed"]]
            if failed:
                names = ", ".join(r["strategy"] for r in failed)
                raise StrategyRefused(f"Strategy validation failed: {names}", failed)
            if any(name not in tree.classes for name in touched):
                raise StrategyRefused(f"{change.file_name} defines no strategy", reports)
            at = iso(self.clock()) or ""
            published = []
            for name, report in zip(touched, reports, strict=True):
                previous = await self._meta_or_new(head, tree, name)
                own = tree.classes[name].file == change.file_name
                meta = previous.next_version(
                    change.message,
                    author.name,
                    at,
                    fileName=tree.classes[name].file,
                    **(dict(change.metadata) if own else {}),
                )
                writes[meta.path] = meta.to_json()
                writes[report_path(name)] = (json.dumps(report, indent=2) + "\n").encode()
                published.append(meta)
            await self._commit(writes, change.message, author)
        return published

    async def _checked(
        self, change: Change
    ) -> tuple[str, SourceTree, list[str], dict[str, bytes], list[dict[str, Any]]]:
        """HEAD, the candidate tree, the strategies touched, the file to write, their reports."""
        check_file_name(change.file_name)
        unknown = set(change.metadata) - set(EDITABLE)
        if unknown:
            raise BadInput(f"Unknown metadata fields: {', '.join(sorted(unknown))}", "INVALID_META")
        head = await self.head()
        files = await self.tree(head)
        if change.source is None and change.file_name not in files:
            raise NotFound(f"No file {change.file_name} in the store", "UNKNOWN_FILE")
        writes: dict[str, bytes] = {}
        if change.source is not None:
            files[change.file_name] = change.source
            writes[change.file_name] = change.source.encode()
        tree = read_tree(files)
        published = {m.className for m in await self.catalogue(head)}
        touched = self._touched(tree, change.file_name, published)
        reports = [(await self.validator.check(files, name)).to_dict() for name in touched]
        return head, tree, touched, writes, reports

    def _touched(self, tree: SourceTree, file_name: str, published: set[str]) -> list[str]:
        """The strategies a change of `file_name` affects: published ones defined in it or
        built on a class in it, and new ones in it that are no base of another strategy. The
        file's own name if there are none (it does not parse or defines no strategy: the
        check says what is wrong)."""
        in_file = {c.name for c in tree.classes.values() if c.file == file_name}
        strategies = tree.strategies()
        bases = {b for s in strategies for b in s.bases}
        touched = [
            s.name
            for s in strategies
            if (s.name in published and any(tree.inherits(s.name, c) for c in in_file))
            or (s.name in in_file and (s.name in published or s.name not in bases))
        ]
        return touched or [PurePosixPath(file_name).stem]

    async def _meta_or_new(self, head: str, tree: SourceTree, name: str) -> StrategyMeta:
        raw = await self.repo.read(head, meta_path(name))
        return StrategyMeta.from_json(raw) if raw is not None else initial_meta(tree.classes[name])

    async def _commit(self, writes: dict[str, bytes], message: str, author: Author) -> str:
        try:
            return await self.repo.commit(writes, message, author, self.clock())
        except GitError as exc:
            raise Conflict(f"The store could not commit: {exc}", "STORE_BUSY") from None

    async def commit_files(self, writes: dict[str, bytes], message: str, author: Author) -> str:
        """Commit already validated files and metadata (the importer's one commit)."""
        async with self._writing:
            return await self._commit(writes, message, author)


def _read_seed(seed: Path) -> dict[str, str]:
    return {
        p.name: p.read_text(encoding="utf-8")
        for p in sorted(seed.glob("*.py"))
        if not p.name.startswith("_")
    }

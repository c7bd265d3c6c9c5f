"""`cryptopilot strategies import DIR`: bring a folder of existing FreqTrade strategies in.

The operator's folder (API_CONTRACT §8) has file names that differ from class names, a
subfolder of byte-identical copies, and classes sharing a base file. The importer reads every
`*.py` under DIR, keeps one copy of identical files (the shallowest path wins) and reports the
others as duplicates, reports files that do not parse or whose strategies fail validation, and
commits everything else in one commit: helper and base files with the strategies using them.
Nothing it reports stops the rest.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gateway.services.common import iso
from gateway.services.strategies.gitrepo import Author
from gateway.services.strategies.metadata import StrategyMeta, initial_meta, meta_path, report_path
from gateway.services.strategies.sources import SourceTree, read_tree
from gateway.services.strategies.store import StrategyStore

logger = logging.getLogger(__name__)


@dataclass
class ImportReport:
    """What an import did, file by file (paths relative to the imported folder)."""

    imported: list[str] = field(default_factory=list)  # strategy class names, new versions
    files: list[str] = field(default_factory=list)  # files committed
    unchanged: list[str] = field(default_factory=list)  # already in the store, byte for byte
    duplicates: dict[str, str] = field(default_factory=dict)  # copy -> the file kept
    broken: dict[str, str] = field(default_factory=dict)  # file -> why it was left out
    failed: dict[str, dict[str, Any]] = field(default_factory=dict)  # class -> its report
    bases: list[str] = field(default_factory=list)  # failed alone, but imported strategies use them
    commit: str | None = None


@dataclass
class _Scan:
    """The folder's files once copies are set aside: store file name -> source and origin."""

    sources: dict[str, str] = field(default_factory=dict)
    origin: dict[str, str] = field(default_factory=dict)


def _scan(folder: Path, report: ImportReport) -> _Scan:
    """Read every `*.py` under `folder`, shallowest first; copies and unreadable files go to
    the report."""
    scan = _Scan()
    kept: dict[str, str] = {}  # content hash -> relative path kept
    paths = [p for p in folder.rglob("*.py") if p.is_file()]
    for path in sorted(paths, key=lambda p: (len(p.relative_to(folder).parts), str(p))):
        relative = str(path.relative_to(folder))
        raw = path.read_bytes()
        digest = hashlib.sha256(raw).hexdigest()
        if digest in kept:
            report.duplicates[relative] = kept[digest]
            continue
        kept[digest] = relative
        if path.name.startswith("_"):
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            report.broken[relative] = "not UTF-8 text"
            continue
        if path.name in scan.sources:
            report.broken[relative] = (
                f"another file is named {path.name} ({scan.origin[path.name]})"
            )
            continue
        scan.sources[path.name], scan.origin[path.name] = text, relative
    return scan


def _files_of(tree: SourceTree, name: str) -> set[str]:
    """The files defining a class and all its ancestors in the tree."""
    files: set[str] = set()
    todo = [name]
    while todo:
        found = tree.classes.get(todo.pop())
        if found is not None and found.file not in files:
            files.add(found.file)
            todo.extend(found.bases)
    return files


async def import_folder(store: StrategyStore, folder: Path, author: Author) -> ImportReport:
    """Import every strategy under `folder`; see the module docstring for the rules."""
    report = ImportReport()
    scan = await asyncio.to_thread(_scan, folder, report)
    candidates, origin = scan.sources, scan.origin
    head = await store.head()
    files = await store.tree(head)
    for name, why in read_tree(files | candidates).broken.items():
        if name in candidates:
            report.broken[origin[name]] = why
            del candidates[name]
    for name in [n for n in candidates if files.get(n) == candidates[n]]:
        report.unchanged.append(origin[name])
        del candidates[name]
    merged = files | candidates
    tree = read_tree(merged)
    passed = []
    for info in (s for s in tree.strategies() if s.file in candidates):
        checked = (await store.validator.check(merged, info.name)).to_dict()
        if checked["passed"]:
            passed.append((info, checked))
        else:
            report.failed[info.name] = checked
    needed = {f for info, _ in passed for f in _files_of(tree, info.name)}
    for name in [n for n in report.failed if tree.classes[n].file in needed]:
        # A base class the passing strategies build on (no timeframe of its own, say).
        report.bases.append(name)
        del report.failed[name]
    for name in sorted({tree.classes[n].file for n in report.failed} - needed):
        report.broken[origin[name]] = "its strategies failed validation"
        del candidates[name]
    if not candidates:
        return report
    message = f"Import {len(passed)} strategies from {folder.name}/"
    writes = {name: text.encode() for name, text in candidates.items()}
    at = iso(store.clock()) or ""
    for info, checked in passed:
        previous = await store.repo.read(head, meta_path(info.name))
        meta = (StrategyMeta.from_json(previous) if previous else initial_meta(info)).next_version(
            message, author.name, at, fileName=info.file
        )
        writes[meta.path] = meta.to_json()
        writes[report_path(info.name)] = (json.dumps(checked, indent=2) + "\n").encode()
        report.imported.append(info.name)
    report.files = sorted(origin[name] for name in candidates)
    report.commit = await store.commit_files(writes, message, author)
    logger.info("imported %s from %s as %s", report.imported, folder, report.commit)
    return report

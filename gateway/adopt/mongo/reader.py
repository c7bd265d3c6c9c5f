"""Reading the old MongoDB data: a mongodump/mongoexport folder, or a live database.

Both readers produce the same `Source` (documents per collection plus read problems), so
everything after reading is one code path. Collection names are normalised (lower case,
no `_`), e.g. `portfolio_snapshots` and `portfolioSnapshots` both become `portfoliosnapshots`.
"""

from __future__ import annotations

import logging
import struct
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path
from typing import Any

import bson
from bson import json_util
from bson.codec_options import CodecOptions
from bson.errors import InvalidBSON
from bson.json_util import JSONOptions

logger = logging.getLogger(__name__)

USERS = "users"
SNAPSHOTS = "portfoliosnapshots"
BOTS = "bots"
# Source collection (normalised) -> the kind it holds.
KNOWN: dict[str, str] = {
    "users": USERS,
    "portfoliosnapshots": SNAPSHOTS,
    "bots": BOTS,
    "botinstances": BOTS,
}
JSON = JSONOptions(tz_aware=True, tzinfo=UTC)
_SUFFIXES = (".bson", ".json", ".jsonl", ".ndjson")

Document = dict[str, Any]
CODEC: CodecOptions[Document] = CodecOptions(tz_aware=True, tzinfo=UTC)


@dataclass
class Source:
    """Documents by kind (users, portfoliosnapshots, bots) and what could not be read."""

    documents: dict[str, list[Document]] = field(
        default_factory=lambda: {USERS: [], SNAPSHOTS: [], BOTS: []}
    )
    problems: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    def add(self, collection: str, document: Document) -> None:
        self.documents[KNOWN[collection]].append(document)


def normalise(name: str) -> str:
    """A collection name as matched against `KNOWN`."""
    return name.lower().replace("_", "").replace("-", "")


def read_dump(directory: Path) -> Source:
    """Every known collection in a mongodump (`*.bson`) or mongoexport (`*.json`) folder tree."""
    if not directory.is_dir():
        raise FileNotFoundError(f"dump folder {directory} does not exist")
    source = Source()
    for path in sorted(directory.rglob("*")):
        if path.suffix.lower() not in _SUFFIXES or path.name.endswith(".metadata.json"):
            continue
        collection = normalise(path.name[: -len(path.suffix)])
        if collection not in KNOWN:
            logger.info("ignoring %s: not a collection the import reads", path)
            continue
        source.files.append(str(path))
        if path.suffix.lower() == ".bson":
            _read_bson(path, collection, source)
        else:
            _read_json(path, collection, source)
    return source


def read_live(uri: str, database: str) -> Source:
    """The known collections of a live MongoDB database, read with pymongo."""
    from pymongo import MongoClient
    from pymongo.errors import PyMongoError

    source = Source()
    client: MongoClient[Document] = MongoClient(uri, tz_aware=True, tzinfo=UTC)
    try:
        db = client[database]
        for name in db.list_collection_names():
            collection = normalise(name)
            if collection in KNOWN:
                source.files.append(f"{database}.{name}")
                for document in db[name].find():
                    source.add(collection, dict(document))
    except PyMongoError as exc:
        raise ConnectionError(f"MongoDB: {exc}") from exc
    finally:
        client.close()
    return source


def _read_bson(path: Path, collection: str, source: Source) -> None:
    """Documents of a BSON file; a corrupt one is skipped, a truncated one ends the file."""
    data = path.read_bytes()
    offset = 0
    while offset < len(data):
        if len(data) - offset < 5:
            source.problems.append(f"{path.name}: truncated document at byte {offset}")
            return
        (size,) = struct.unpack_from("<i", data, offset)
        if size < 5 or offset + size > len(data):
            source.problems.append(f"{path.name}: truncated document at byte {offset}")
            return
        try:
            document = bson.decode(data[offset : offset + size], codec_options=CODEC)
        except (InvalidBSON, ValueError, OverflowError) as exc:
            # The length prefix still frames it: skip just this document.
            source.problems.append(f"{path.name}: corrupt document at byte {offset}: {exc}")
        else:
            source.add(collection, document)
        offset += size


def _read_json(path: Path, collection: str, source: Source) -> None:
    """Documents of a mongoexport file: JSON Lines, or one array (`--jsonArray`)."""
    text = path.read_text(encoding="utf-8")
    if text.lstrip().startswith("["):
        try:
            items = json_util.loads(text, json_options=JSON)
        except ValueError as exc:
            source.problems.append(f"{path.name}: not valid extended JSON: {exc}")
            return
        for index, item in enumerate(items, start=1):
            _add_json(source, collection, item, f"{path.name} item {index}")
        return
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json_util.loads(line, json_options=JSON)
        except ValueError as exc:
            source.problems.append(f"{path.name} line {number}: not valid extended JSON: {exc}")
            continue
        _add_json(source, collection, item, f"{path.name} line {number}")


def _add_json(source: Source, collection: str, item: Any, where: str) -> None:
    if isinstance(item, dict):
        source.add(collection, item)
    else:
        source.problems.append(f"{where}: not a document")

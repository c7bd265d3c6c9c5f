"""Old-platform documents and the dump files the tests write (mongodump BSON, mongoexport JSON)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import bcrypt
import bson
from bson import ObjectId, json_util
from bson.decimal128 import Decimal128
from bson.int64 import Int64
from bson.json_util import RELAXED_JSON_OPTIONS

Document = dict[str, Any]
OLD_PASSWORD = "old-platform-secret"
T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def bcrypt_hash(password: str, prefix: str = "$2b$") -> str:
    """A cheap bcrypt hash, with the prefix the old Node server would have written."""
    hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt(4)).decode()
    return prefix + hashed[4:]


def user(
    email: str,
    *,
    balance: Any = 900.0,
    password: str | None = None,
    transactions: list[Document] | None = None,
    allocations: Document | None = None,
    **extra: Any,
) -> Document:
    """A user document as the old backend stored it (embedded wallet fields)."""
    document: Document = {
        "_id": ObjectId(),
        "username": email.split("@")[0],
        "email": email,
        "password": password if password is not None else bcrypt_hash(OLD_PASSWORD, "$2a$"),
        "role": "user",
        "createdAt": T0,
        "lastLogin": T0,
        "avatar": "",
        "paperWallet": {"balance": balance, "currency": "USD", "lastUpdated": T0},
        "walletTransactions": transactions if transactions is not None else [],
        "botAllocations": allocations if allocations is not None else {},
    }
    document.update(extra)
    return document


def alice() -> Document:
    """A user whose history adds up: deposit 1000, allocate 100 to a bot, balance 900."""
    return user(
        "Alice@Example.com",
        balance=Decimal128(Decimal("900.00")),
        transactions=[
            {"type": "deposit", "amount": Int64(1000), "description": "Start", "timestamp": T0},
            {
                "type": "allocate",
                "amount": 100.0,
                "botId": "alice-bot-1",
                "botName": "EmaRsiStrategy (alice-bot-1)",
                "description": "Allocated",
                "balanceAfter": 900,
                "timestamp": T0.replace(hour=13),
            },
        ],
        allocations={
            "alice-bot-1": {
                "allocatedAmount": 100,
                "currentValue": 104.5,
                "reservedInTrades": 20,
                "availableBalance": 84.5,
                "lifetimePnL": 0,
                "allocatedAt": T0.replace(hour=13),
                "botName": "EmaRsiStrategy (alice-bot-1)",
            }
        },
        displayName="Alice A.",
        firebaseUid=None,
    )


def snapshot(owner: Document, value: float, minute: int) -> Document:
    return {
        "_id": ObjectId(),
        "userId": owner["_id"],
        "timestamp": T0.replace(minute=minute),
        "portfolioValue": value,
        "totalPnL": value - 1000,
        "startingCapital": 1000,
        "activeBots": 1,
        "botCount": 1,
    }


def write_bson(directory: Path, collection: str, documents: list[Document]) -> Path:
    """`<directory>/<collection>.bson` as mongodump writes it (documents back to back)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{collection}.bson"
    path.write_bytes(b"".join(bson.encode(d) for d in documents))
    return path


def write_jsonl(directory: Path, collection: str, documents: list[Document]) -> Path:
    """`<directory>/<collection>.json` as mongoexport writes it (extended JSON v2 lines)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{collection}.json"
    lines = [json_util.dumps(d, json_options=RELAXED_JSON_OPTIONS) for d in documents]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path

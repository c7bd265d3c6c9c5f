"""Reading dump files and mapping old documents, without a database."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import bson
from bson import ObjectId

from gateway.adopt.mongo import mapping, reader
from gateway.adopt.mongo.mapping import Rejected, UserRow
from gateway.adopt.mongo.wallet_plan import CARRY_OVER, WalletPlan, plan_wallet
from tests.gateway.adopt.mongo import dumps

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def test_bson_dump_is_read_and_a_truncated_file_reported(tmp_path: Path) -> None:
    first, second = dumps.alice(), dumps.user("bob@example.com")
    path = dumps.write_bson(tmp_path / "cryptopilot", "users", [first, second])
    corrupt = bytearray(bson.encode({"email": "x@example.com"}))
    corrupt[4] = 0x99  # an unknown BSON element type, inside a well-framed document
    data = bytes(corrupt) + path.read_bytes()
    path.write_bytes(data[:-10])  # the last document loses its end
    (tmp_path / "cryptopilot" / "users.metadata.json").write_text("{}", encoding="utf-8")
    dumps.write_bson(tmp_path / "cryptopilot", "sessions", [{"_id": ObjectId()}])

    source = reader.read_dump(tmp_path)

    assert [d["email"] for d in source.documents[reader.USERS]] == ["Alice@Example.com"]
    assert source.documents[reader.USERS][0]["createdAt"] == dumps.T0  # aware UTC
    assert len(source.problems) == 2
    assert source.problems[0].startswith("users.bson: corrupt document at byte 0")
    assert "users.bson: truncated document" in source.problems[1]
    assert source.files == [str(path)]


def test_mongoexport_extended_json_in_lines_and_array_form(tmp_path: Path) -> None:
    oid = "65f0a1b2c3d4e5f601234567"
    lines = [
        '{"_id":{"$oid":"'
        + oid
        + '"},"email":"c@example.com",'
        + '"createdAt":{"$date":"2025-01-02T03:04:05.006Z"},'
        + '"lastLogin":{"$date":{"$numberLong":"1735787045006"}},'
        + '"paperWallet":{"balance":{"$numberDecimal":"12.345"},"currency":"USD"},'
        + '"walletTransactions":[{"type":"deposit","amount":{"$numberInt":"5"}},'
        + '{"type":"deposit","amount":{"$numberDouble":"7.345"}}]}',
        "",
        "{not json",
        "[1, 2]",
    ]
    (tmp_path / "users.json").write_text("\n".join(lines), encoding="utf-8")
    array = '[{"_id": {"$oid": "' + "1" * 24 + '"}, "userId": {"$oid": "' + oid + '"}}]'
    (tmp_path / "portfolio_snapshots.json").write_text(array, encoding="utf-8")

    source = reader.read_dump(tmp_path)

    [document] = source.documents[reader.USERS]
    assert document["_id"] == ObjectId(oid)
    assert document["createdAt"] == datetime(2025, 1, 2, 3, 4, 5, 6000, tzinfo=UTC)
    assert document["lastLogin"] == document["createdAt"]
    assert [p.split(":")[0] for p in source.problems] == ["users.json line 3", "users.json line 4"]
    assert source.documents[reader.SNAPSHOTS][0]["userId"] == ObjectId(oid)

    row = mapping.map_user(document, now=NOW)
    assert isinstance(row, UserRow) and row.wallet is not None
    assert row.wallet.balance_cents == 1234  # banker's rounding of 12.345
    assert [r.amount_cents for r in row.wallet.ledger] == [500, 734]  # history adds up
    assert row.password_hash is None and row.auth_provider == "local"
    assert row.notes == []


def test_bad_documents_are_rejected_with_the_reason() -> None:
    source = reader.Source()
    good = dumps.user("dup@example.com")
    bad = [
        dumps.user("not-an-email"),
        {"_id": ObjectId(), "username": "no-email"},
        dumps.user("typed@example.com", balance="lots"),
        dumps.user("negative@example.com", balance=-5),
        dumps.user("wallet@example.com", paperWallet=[1, 2]),
        {"email": "noid@example.com"},
        dumps.user("DUP@example.com"),
    ]
    for document in [good, *bad]:
        source.add("users", document)
    source.add("portfoliosnapshots", dumps.snapshot(bad[0], 10, 1))
    source.add("portfoliosnapshots", {"_id": ObjectId(), "userId": good["_id"]})
    source.add("bots", {"_id": ObjectId(), "strategy": "X"})

    result = mapping.plan(source, now=NOW)

    assert [u.email for u in result.users] == ["dup@example.com"]
    reasons = [r.problems[0] for r in result.rejected]
    assert reasons == [
        "email is missing or not an e-mail address: 'not-an-email'",
        "email is missing or not an e-mail address: ''",
        "paperWallet.balance must be a number, got str",
        "paperWallet.balance must not be negative",
        "paperWallet must be a document",
        "missing or unusable _id",
        f"duplicate e-mail dup@example.com (already imported from {good['_id']})",
        "its user is not imported",
        "timestamp must be a date, got NoneType",
        "instanceId is missing",
    ]
    assert all(isinstance(r, Rejected) for r in result.rejected)


def test_passwords_kept_only_when_bcrypt() -> None:
    for prefix in ("$2a$", "$2b$", "$2y$"):
        row = mapping.map_user(
            dumps.user("a@example.com", password=dumps.bcrypt_hash("x", prefix)), now=NOW
        )
        assert isinstance(row, UserRow) and row.password_hash is not None
    row = mapping.map_user(
        dumps.user("b@example.com", password="pbkdf2_sha256$1$salt$hash", firebaseUid="g-1"),
        now=NOW,
    )
    assert isinstance(row, UserRow)
    assert row.password_hash is None and row.firebase_uid == "g-1"
    assert row.auth_provider == "google"
    assert row.notes[0].startswith("password is not a bcrypt hash")


def _holds(plan: WalletPlan) -> None:
    assert plan.balance_cents + plan.allocated_cents == (
        plan.deposited_cents - plan.withdrawn_cents + plan.realised_pnl_cents
    )
    assert plan.ledger[-1].balance_after_cents == plan.balance_cents


def test_wallet_history_that_adds_up_is_booked_as_is() -> None:
    row = mapping.map_user(dumps.alice(), now=NOW)
    assert isinstance(row, UserRow) and row.wallet is not None
    plan = row.wallet
    _holds(plan)
    assert [(r.type, r.amount_cents, r.balance_after_cents) for r in plan.ledger] == [
        ("deposit", 100_000, 100_000),
        ("allocate", 10_000, 90_000),
    ]
    assert plan.allocations[0].current_value_cents == 10_450
    assert plan.notes == []


def test_wallet_gaps_get_explicit_carry_over_rows() -> None:
    plan = plan_wallet(
        {"balance": 250},
        [
            {"type": "deposit", "amount": 100, "timestamp": dumps.T0},
            {"type": "teleport", "amount": 5},
            {"type": "allocate", "amount": 40, "botId": "gone"},
            {"type": "withdraw", "amount": -3},
        ],
        {"kept": {"allocatedAmount": Decimal("30.5")}, "broken": {"allocatedAmount": "x"}},
        created_at=dumps.T0,
    )
    _holds(plan)
    kinds = [(r.type, r.amount_cents, r.bot_id, r.description) for r in plan.ledger]
    assert kinds[0][:2] == ("deposit", 10_000)
    assert kinds[1][:2] == ("allocate", 4_000)
    assert ("deallocate", 4_000, "gone") in [k[:3] for k in kinds]  # history without allocation
    assert ("loss", 4_000, "gone") in [k[:3] for k in kinds]
    assert ("allocate", 3_050, "kept") in [k[:3] for k in kinds]  # allocation without history
    assert kinds[-1] == ("deposit", 19_000, None, CARRY_OVER)
    assert len(plan.notes) == 6
    assert any("transaction 2 skipped: unknown type 'teleport'" in n for n in plan.notes)
    assert any("allocation broken skipped" in n for n in plan.notes)

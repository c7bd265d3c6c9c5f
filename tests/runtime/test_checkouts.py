"""The pool's strategy checkouts: written once, atomically, read-only; counted; restored."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import pytest

from runtime.botconfig import read_sources
from runtime.checkouts import CheckoutMissing, Checkouts

A, B = "a" * 40, "b" * 40
TREE = {"s.py": "class S(IStrategy):\n    pass\n", "lib/base.py": "X = 1\n"}


def modes(folder: Path) -> dict[str, int]:
    return {
        p.relative_to(folder).as_posix(): stat.S_IMODE(p.stat().st_mode) for p in folder.rglob("*")
    }


def test_a_checkout_is_written_once_and_read_only(tmp_path: Path) -> None:
    checkouts = Checkouts(tmp_path / "strategies")
    path = checkouts.materialise(A, TREE)
    assert path == tmp_path / "strategies" / A
    assert read_sources(path) == TREE
    assert modes(path) == {"s.py": 0o444, "lib": 0o555, "lib/base.py": 0o444}
    assert stat.S_IMODE(path.stat().st_mode) == 0o555
    # The same commit is the same tree: found, not written again.
    assert checkouts.materialise(A, {"other.py": ""}) == path
    assert read_sources(path) == TREE


def test_a_failed_write_leaves_nothing(tmp_path: Path) -> None:
    checkouts = Checkouts(tmp_path / "strategies")
    broken: dict[str, Any] = {"s.py": "ok\n", "t.py": None}  # write() raises on the second
    with pytest.raises(TypeError):
        checkouts.materialise(A, broken)
    assert list((tmp_path / "strategies").iterdir()) == []


def test_the_last_bot_leaving_a_checkout_removes_it(tmp_path: Path) -> None:
    checkouts = Checkouts(tmp_path / "strategies")
    with pytest.raises(CheckoutMissing):
        checkouts.acquire(A, "b1")
    path = checkouts.materialise(A, TREE)
    checkouts.acquire(A, "b1")
    checkouts.acquire(A, "b2")
    checkouts.acquire(A, "b2")  # counted once per bot
    assert checkouts.users(A) == {"b1", "b2"}
    assert checkouts.release(A, "b2") is False and path.is_dir()
    assert checkouts.release(A, "b1") is True
    assert not path.exists() and checkouts.users(A) == frozenset()


def test_restore_counts_the_bots_and_clears_what_nobody_uses(tmp_path: Path) -> None:
    root = tmp_path / "strategies"
    first = Checkouts(root)
    first.materialise(A, TREE)
    first.materialise(B, TREE)
    (root / f".tmp-{A}-dead").mkdir()  # a write interrupted by a crash
    again = Checkouts(root)
    missing = again.restore({"b1": A, "b2": A, "b3": "c" * 40})
    assert missing == ["b3"]
    assert sorted(p.name for p in root.iterdir()) == [A]
    assert again.users(A) == {"b1", "b2"}
    again.release(A, "b1")
    assert (root / A).is_dir()
    # Without a folder yet there is nothing to clear.
    assert Checkouts(tmp_path / "none").restore({}) == []

"""Backup test fixtures."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _cheap_scrypt(monkeypatch: pytest.MonkeyPatch) -> None:
    """Archives written in-process use scrypt at 2**14 (the header records the cost, readers
    follow it); the e2e test's `cryptopilot backup` runs at the real cost."""
    monkeypatch.setattr("backup.crypto.SCRYPT_LOG2_N", 14)

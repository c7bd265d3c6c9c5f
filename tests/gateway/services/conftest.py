"""Fixtures shared by the gateway service tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.gateway.services.riskworld import World, make_world


@pytest.fixture
async def world(db_url: str, tmp_path: Path) -> AsyncIterator[World]:
    made = await make_world(db_url, tmp_path / "strategies-repo")
    yield made
    await made.pools.close()
    await made.api.close()
    await made.db.close()

"""Fixtures shared by the gateway service tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.gateway.services.riskworld import World, make_world


@pytest.fixture
async def world(db_url: str) -> AsyncIterator[World]:
    made = await make_world(db_url)
    yield made
    await made.pools.close()
    await made.api.close()
    await made.db.close()

"""The sandbox's market list: the regular markets and the Binance-sized extra catalogue."""

from __future__ import annotations

from typing import Any

import pytest

from sandbox.catalog import (
    ANCHOR_PRICES,
    INSTRUMENTS,
    QUOTES,
    catalogue,
    extra_base,
    instrument,
)
from sandbox.market import LISTED_AT_MS
from sandbox.server import create_app
from sandbox.settings import SandboxSettings

NOW = LISTED_AT_MS + 400 * 86_400_000 + 123_456


def test_default_catalogue_is_the_regular_markets() -> None:
    assert catalogue() == INSTRUMENTS == catalogue(len(INSTRUMENTS))
    assert len(INSTRUMENTS) == len(ANCHOR_PRICES) * len(QUOTES)


def test_extra_markets_are_deterministic_usdt_markets_up_to_the_total() -> None:
    listed = catalogue(2_000)
    assert len(listed) == 2_000
    assert catalogue(2_000) == listed  # the same names, prices and filters every time
    assert {s: listed[s] for s in INSTRUMENTS} == INSTRUMENTS  # regular ones unchanged
    extras = [inst for symbol, inst in listed.items() if symbol not in INSTRUMENTS]
    assert len({inst.base for inst in extras}) == len(extras) == 2_000 - len(INSTRUMENTS)
    assert {inst.quote for inst in extras} == {"USDT"}
    assert not {inst.base for inst in extras} & set(ANCHOR_PRICES)
    assert [extra_base(i) for i in (0, 1, 26, 675, 676)] == [
        "XAAA", "XAAB", "XABA", "XAZZ", "XBAA",
    ]  # fmt: skip
    anchors = [inst.anchor for inst in extras]
    assert min(anchors) >= 1e-3 and max(anchors) <= 1e4
    assert len(set(anchors)) > 0.9 * len(anchors)  # spread, not one price repeated
    for inst in extras:  # prices have 4+ significant digits; a step is < $100
        assert inst.tick_size <= inst.anchor / 1e4
        assert inst.step_size * inst.anchor < 100


def test_lookup_among_a_catalogue() -> None:
    listed = catalogue(100)
    assert instrument("XAAAUSDT", listed).base == "XAAA"
    with pytest.raises(ValueError, match="unknown symbol"):
        instrument("XAAAUSDT")  # not in the regular list
    with pytest.raises(ValueError, match="at most"):
        catalogue(10**6)


async def test_the_server_lists_and_quotes_every_market_of_its_catalogue(
    aiohttp_client: Any,
) -> None:
    settings = SandboxSettings(markets=2_000)
    client = await aiohttp_client(create_app(settings, clock=lambda: NOW))
    info = await (await client.get("/api/v3/exchangeInfo")).json()
    symbols = [s["symbol"] for s in info["symbols"]]
    assert len(symbols) == len(set(symbols)) == 2_000
    extra = next(s for s in symbols if s not in INSTRUMENTS)
    klines = await client.get("/api/v3/klines", params={"symbol": extra, "interval": "1m"})
    rows = await klines.json()
    assert klines.status == 200 and len(rows) == 500
    assert all(float(row[3]) <= float(row[4]) <= float(row[2]) for row in rows)  # low<=close<=high
    depth = await (await client.get("/api/v3/depth", params={"symbol": extra})).json()
    assert float(depth["bids"][0][0]) < float(depth["asks"][0][0])
    regular = await client.get("/api/v3/depth", params={"symbol": "XAAAUSDT"})
    assert regular.status == 200
    small = await aiohttp_client(create_app(SandboxSettings(), clock=lambda: NOW))
    refused = await small.get("/api/v3/depth", params={"symbol": "XAAAUSDT"})
    assert refused.status == 400 and (await refused.json())["code"] == -1121


def test_markets_must_not_be_negative() -> None:
    with pytest.raises(ValueError, match="CRYPTOPILOT_SANDBOX_MARKETS"):
        SandboxSettings(markets=-1)

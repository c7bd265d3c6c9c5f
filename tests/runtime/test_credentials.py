"""The bot API password derived from the pool token."""

from __future__ import annotations

import re

from runtime.credentials import bot_api_password


def test_the_password_is_deterministic_per_token_and_bot() -> None:
    password = bot_api_password("pool-token-1", "alice-bot-1")
    assert password == bot_api_password("pool-token-1", "alice-bot-1")
    assert password != bot_api_password("pool-token-2", "alice-bot-1")
    assert password != bot_api_password("pool-token-1", "alice-bot-2")


def test_the_password_is_url_safe_and_long() -> None:
    password = bot_api_password("t", "b1")
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", password)  # 256 bits, fine in JSON and Basic auth

"""A bot's FreqTrade API password, derived from the pools' token: never stored, never sent.

The pool writes it into each bot's config and the gateway computes the same value when it logs
in to the bot, so neither keeps it: both already hold the token. Changing the token changes
every bot's password at its next start (the pool rewrites each config before a start).
"""

from __future__ import annotations

import base64
import hashlib
import hmac


def bot_api_password(pool_token: str, bot_id: str) -> str:
    """HMAC-SHA256 of the bot id under the pool token, url-safe base64 (43 characters)."""
    digest = hmac.new(pool_token.encode(), bot_id.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")

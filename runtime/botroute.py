"""The wire format of the pool's bot-API route, shared with its callers (no pool code here).

`<control URL>/bots/<bot_id>/api/v1/...` reaches the bot's own FreqTrade API through the
pool's port. `Authorization` on that route belongs to the bot (Basic for the login, Bearer
JWT after it), so the pool's token travels in its own header.
"""

from __future__ import annotations

POOL_TOKEN_HEADER = "X-Pool-Token"  # noqa: S105 - a header name, not a secret
# The codes the pool itself answers with on that route, in its `{"success": false}` body; any
# other answer is the bot's own.
POOL_REFUSALS = frozenset(
    {"UNAUTHORIZED", "BOT_NOT_FOUND", "INVALID_BOT_ID", "BOT_NOT_RUNNING", "BOT_UNREACHABLE"}
)


def bot_api_base(control_url: str, bot_id: str) -> str:
    """The URL a caller appends `/api/v1/...` to, for a bot served through its pool."""
    return f"{control_url.rstrip('/')}/bots/{bot_id}"

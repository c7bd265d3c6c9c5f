"""Adoption of the old per-container bots into the pools (`cryptopilot bot adopt`)."""

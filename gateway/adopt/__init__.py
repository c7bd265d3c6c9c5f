"""Bringing the old platform's data in: old bots (`cryptopilot bot adopt`), MongoDB (`mongo/`)."""

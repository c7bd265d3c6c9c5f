"""Bots' own summaries of what they hold, published to their supervisor (issue 18)."""

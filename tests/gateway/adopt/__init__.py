"""Tests of `cryptopilot bot adopt`."""

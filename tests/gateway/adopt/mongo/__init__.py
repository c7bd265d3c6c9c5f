"""Tests of `cryptopilot migrate mongo`."""

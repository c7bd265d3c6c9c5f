"""Tests of the Turso backup (runtime/backup/)."""

"""Tests of the data migrations."""

"""Root test configuration: shared fixture modules are registered here."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

pytest_plugins: list[str] = [
    "tests.fixtures.sandbox",
    "tests.fixtures.firebase",
    "tests.fixtures.postgres",
    "tests.fixtures.redis",
    "tests.fixtures.private_postgres",
    "tests.fixtures.netns",
    "tests.fixtures.sqld",
    "tests.fixtures.posthog",
]


@pytest.fixture(autouse=True)
def _root_logging_restored() -> Iterator[None]:
    """Undo what a CLI run in-process did to the root logger (`configure_logging`).

    Its handler writes to the stream pytest captured for that test; left installed, every
    later test's log lines would fail with "I/O operation on closed file".
    """
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
    for handler in handlers:
        if handler not in root.handlers:
            root.addHandler(handler)
    root.setLevel(level)

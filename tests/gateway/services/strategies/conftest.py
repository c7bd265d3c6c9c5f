"""Strategy store fixtures: a real git repository seeded from strategies/, checked for real
against the session's sandbox exchange."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from gateway.services.strategies.gitrepo import Author
from gateway.services.strategies.store import StrategyStore
from gateway.services.strategies.validation import Validator
from runtime.botconfig import strategies_dir
from runtime.strategycheck import Limits

ADMIN = Author("Root Admin", "root@example.com")
# Short limits: a strategy that loops or eats memory is stopped within seconds.
LIMITS = Limits(cpu_seconds=20, memory_mb=1024, wall_seconds=40.0)

StoreFactory = Callable[..., "StrategyStore"]


@pytest.fixture
def make_store(tmp_path: Path, sandbox_url: str) -> Callable[..., StrategyStore]:
    """Factory: a store in `tmp_path/<name>` validating on the sandbox (not opened yet)."""

    def make(name: str = "repo", limits: Limits = LIMITS) -> StrategyStore:
        return StrategyStore(tmp_path / name, Validator(sandbox_url, limits))

    return make


@pytest.fixture
async def store(make_store: Callable[..., StrategyStore]) -> StrategyStore:
    made = make_store()
    await made.open(strategies_dir())
    return made


def scalp_source(class_name: str, *, doc: str = "A test scalper.") -> str:
    """A working strategy (the shipped 1-minute scalper under another class name)."""
    source = (strategies_dir() / "sandbox_scalp_1m.py").read_text(encoding="utf-8")
    head, _, body = source.partition("class SandboxScalp1m(")
    body = body.split('"""', 2)[2]  # drop the class docstring
    line = f"class {class_name}(TakeProfitLadder, IStrategy):  # type: ignore[misc]"
    return f'{head}{line}\n    """{doc}"""{body}'

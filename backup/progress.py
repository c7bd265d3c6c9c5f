"""Progress lines for long backup and restore steps, on stderr so stdout stays the result."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO


class Progress:
    """Prints `==> step` when a step begins and its duration when it ends."""

    def __init__(self, stream: TextIO | None = None, quiet: bool = False) -> None:
        self._stream = stream
        self._quiet = quiet

    def say(self, message: str) -> None:
        if not self._quiet:
            print(message, file=self._stream or sys.stderr, flush=True)

    @contextmanager
    def step(self, label: str) -> Iterator[None]:
        self.say(f"==> {label}")
        started = time.monotonic()
        yield
        self.say(f"    done in {time.monotonic() - started:.1f}s")

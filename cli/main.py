"""Entry point of the `cryptopilot` command: collects each package's sub-commands and runs one."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence
from typing import Protocol, cast

from envsettings import SettingsError

# Each module has `register(subparsers)`, which adds its commands and sets `func` on them.
# Their heavy imports (FreqTrade, SQLAlchemy) happen inside the handlers, so `--help` is fast.
COMMAND_MODULES = (
    "sandbox.cli",
    "runtime.cli",
    "gateway.cli",
    "gateway.strategycli",
    "cli.bot",
    "gateway.adopt.mongo.cli",
    "cli.demo",
    "cli.settings",
    "backup.cli",
)

Handler = Callable[[argparse.Namespace], int]


class _Registrar(Protocol):
    def register(self, subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
        """Add this package's sub-commands."""


def build_parser() -> argparse.ArgumentParser:
    """Build the full `cryptopilot` parser from every package's sub-commands."""
    parser = argparse.ArgumentParser(
        prog="cryptopilot",
        description="Crypto-Pilot: FreqTrade paper-trading pools behind one API gateway.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        module = cast(_Registrar, importlib.import_module(name))
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and run the chosen sub-command; returns the exit status."""
    try:
        args = build_parser().parse_args(argv)
        handler = cast(Handler, args.func)
        return handler(args)
    except SettingsError as exc:  # a bad CRYPTOPILOT_* variable: one line naming it
        print(f"cryptopilot: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

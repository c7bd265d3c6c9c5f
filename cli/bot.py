"""`cryptopilot bot ...`: operator commands on single bots, collected from the packages."""

from __future__ import annotations

import argparse
import importlib
from typing import Protocol, cast

# Each module has `add_commands(bot_subparsers)`.
BOT_COMMAND_MODULES = ("gateway.adopt.cli", "runtime.backup.cli")


class _BotCommands(Protocol):
    def add_commands(self, subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
        """Add this package's `bot` sub-commands."""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `bot` command group."""
    parser = subparsers.add_parser(
        "bot",
        help="operator commands on single bots (adopt an old bot, restore from Turso)",
        description="Operator commands on single bots.",
    )
    commands = parser.add_subparsers(dest="bot_command", required=True, metavar="BOT_COMMAND")
    for name in BOT_COMMAND_MODULES:
        cast(_BotCommands, importlib.import_module(name)).add_commands(commands)

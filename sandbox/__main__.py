"""`python -m sandbox [--port ...]`: the sandbox command without the full CLI."""

from __future__ import annotations

import argparse
import sys

from envsettings import SettingsError
from sandbox import cli


def main(argv: list[str] | None = None) -> int:
    """Parse `cryptopilot sandbox`'s options and run it."""
    parser = argparse.ArgumentParser(prog="python -m")  # the sub-command adds "sandbox"
    try:
        cli.register(parser.add_subparsers(dest="command"))
        args = parser.parse_args(["sandbox", *(sys.argv[1:] if argv is None else argv)])
        return int(args.func(args))
    except SettingsError as exc:  # a bad CRYPTOPILOT_SANDBOX_* variable: one line naming it
        print(f"python -m sandbox: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

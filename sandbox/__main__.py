"""`python -m sandbox [--port ...]`: the sandbox command without the full CLI."""

from __future__ import annotations

import argparse
import sys

from sandbox import cli


def main(argv: list[str] | None = None) -> int:
    """Parse `cryptopilot sandbox`'s options and run it."""
    parser = argparse.ArgumentParser(prog="python -m")  # the sub-command adds "sandbox"
    cli.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["sandbox", *(sys.argv[1:] if argv is None else argv)])
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())

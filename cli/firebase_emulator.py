"""The Firebase Auth emulator (npm `firebase-tools`): how to configure and start it, isolated.

Used by `cryptopilot demo` (Google sign-in works offline: the web app's "Continue with Google"
opens the emulator's sign-in page) and by the test fixture `tests/fixtures/firebase.py`.
"""

from __future__ import annotations

import json
import os
import urllib.request
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
FIREBASE_BIN = REPO_ROOT / "node_modules" / ".bin" / "firebase"
PROJECT_ID = "crypto-pilot-b2376"


def write_config(workdir: Path, auth_port: int, hub_port: int, logging_port: int) -> None:
    """`firebase.json` for the Auth emulator alone on these ports (no UI)."""
    config = {
        "emulators": {
            "auth": {"host": "127.0.0.1", "port": auth_port},
            # The hub and logging emulators always start; pin them to chosen ports so two
            # runs on one machine do not collide on the defaults 4400/4500.
            "hub": {"host": "127.0.0.1", "port": hub_port},
            "logging": {"host": "127.0.0.1", "port": logging_port},
            "ui": {"enabled": False},
            "singleProjectMode": True,
        }
    }
    (workdir / "firebase.json").write_text(json.dumps(config, indent=2))


def isolated_env(workdir: Path) -> dict[str, str]:
    """The environment for the CLI: its home, config and temp files all inside `workdir`."""
    home = workdir / "home"
    tmp = workdir / "tmp"
    home.mkdir(exist_ok=True)
    tmp.mkdir(exist_ok=True)
    env = dict(os.environ)
    env.pop("FIREBASE_AUTH_EMULATOR_HOST", None)
    env.update(
        {
            # No user credentials, config store or hub locator files outside the folder
            # (the CLI writes /tmp/hub-<project>.json by default, shared between runs).
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "TMPDIR": str(tmp),
            "FIREBASE_EMULATORS_PATH": str(workdir / "emulators"),
            "NO_UPDATE_NOTIFIER": "1",
            "FIREBASE_CLI_GA": "false",
            "FIREBASE_EMULATOR_GA": "false",
        }
    )
    return env


def command() -> list[str]:
    """The command line that starts the Auth emulator (run it in the config's folder)."""
    return [str(FIREBASE_BIN), "emulators:start", "--only", "auth", "--project", PROJECT_ID]


def is_ready(host: str) -> bool:
    """Whether the emulator on `host` (host:port) answers and reports its Auth part ready."""
    try:
        # S310: always http:// on a local host:port we started.
        with urllib.request.urlopen(f"http://{host}/", timeout=1) as response:  # noqa: S310
            body = json.load(response)
    except (OSError, ValueError):
        return False
    return bool(body.get("authEmulator", {}).get("ready"))

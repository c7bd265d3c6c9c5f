"""Configs, secrets and strategies in the archive.

Env files (`--env-file`) always travel, with secret values emptied unless the backup was
asked for `--include-secrets`; then `secrets/secrets.env` also carries this environment's
secrets. The strategies travel so that the new host can be checked against them.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Mapping
from pathlib import Path

from backup.errors import BackupError
from runtime.botconfig import strategies_dir

# The settings (gateway's and pools') whose values are secrets, by environment variable.
SECRET_VARIABLES = (
    "CRYPTOPILOT_JWT_SECRET",
    "CRYPTOPILOT_POOL_TOKEN",
    "CRYPTOPILOT_SMTP_PASSWORD",
    "CRYPTOPILOT_POOL_SYNC_DATABASE_URL",
    "CRYPTOPILOT_POOL_TURSO_AUTH_TOKEN",
)
_SECRET_NAME = re.compile(r"(PASSWORD|SECRET|TOKEN|PASSPHRASE)", re.IGNORECASE)
_ASSIGNMENT = re.compile(r"^(\s*(?:export\s+)?)([A-Za-z_][A-Za-z0-9_]*)(\s*=\s*)(.*)$")
_URL_PASSWORD = re.compile(r"(://[^:/@\s]+):[^@\s]*@")
SECRETS_MEMBER = "secrets/secrets.env"


def is_secret(name: str) -> bool:
    return name in SECRET_VARIABLES or bool(_SECRET_NAME.search(name))


def redact(text: str) -> str:
    """The env file with secret values emptied and passwords cut out of URLs."""
    lines = []
    for line in text.splitlines():
        match = _ASSIGNMENT.match(line)
        if match and is_secret(match[2]):
            line = f"{match[1]}{match[2]}{match[3]}"
        elif match:
            line = match[1] + match[2] + match[3] + _URL_PASSWORD.sub(r"\1@", match[4])
        lines.append(line)
    return "\n".join(lines) + "\n"


def capture_env_files(files: list[Path], staging: Path, include_secrets: bool) -> list[str]:
    """Copy each env file to `config/<name>` (redacted unless secrets); their member names."""
    names = [f.name for f in files]
    if len(set(names)) != len(names):
        raise BackupError(f"env files must have distinct names, got {names}")
    members = []
    for path in files:
        text = path.read_text(encoding="utf-8")
        member = f"config/{path.name}"
        target = staging / member
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text if include_secrets else redact(text), encoding="utf-8")
        members.append(member)
    return members


def capture_secrets(staging: Path, environ: Mapping[str, str] | None = None) -> list[str]:
    """Write this environment's secret settings to `secrets/secrets.env`; the names written."""
    source = os.environ if environ is None else environ
    present = [name for name in SECRET_VARIABLES if source.get(name)]
    target = staging / SECRETS_MEMBER
    target.parent.mkdir(parents=True, exist_ok=True)
    body = "".join(f"{name}={source[name]}\n" for name in present)
    target.write_text("# Secrets of the backed-up host.\n" + body, encoding="utf-8")
    return present


def capture_strategies(staging: Path) -> list[str]:
    """Copy the strategy files the pools load into `strategies/`; their file names."""
    into = staging / "strategies"
    into.mkdir(parents=True, exist_ok=True)
    names = []
    for path in sorted(strategies_dir().glob("*.py")):
        shutil.copyfile(path, into / path.name)
        names.append(path.name)
    return names


def differing_strategies(unpacked: Path, names: list[str]) -> list[str]:
    """Archived strategy files missing from, or different in, this host's strategies."""
    here = strategies_dir()
    return [
        name
        for name in names
        if not (here / name).is_file()
        or (here / name).read_bytes() != (unpacked / "strategies" / name).read_bytes()
    ]

"""pool_containers/systemd: `systemd-analyze verify` and the hardening every unit must carry."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from gateway.settings import Settings
from runtime.settings import PoolSettings
from tests.pool_containers.test_compose import field_names
from tests.pool_containers.tools import POOL_CONTAINERS, VENV_BIN, debian_tool

UNITS = POOL_CONTAINERS / "systemd"
INSTALLED = "/opt/cryptopilot/venv/bin/cryptopilot"
SERVICES = (
    "cryptopilot-gateway.service",
    "cryptopilot-sandbox.service",
    "cryptopilot-pool@.service",
)
HARDENING = {
    "NoNewPrivileges": "yes",
    "ProtectSystem": "strict",
    "ProtectHome": "yes",
    "PrivateTmp": "yes",
    "CapabilityBoundingSet": "",
    "RestrictAddressFamilies": "AF_UNIX AF_INET AF_INET6",
    "SystemCallFilter": "@system-service",
}


class Unit(dict[str, dict[str, str]]):
    """A unit file: section -> key -> value; a key given twice keeps both, space-joined."""


def unit(name: str) -> Unit:
    sections = Unit()
    current: dict[str, str] = {}
    for raw in (UNITS / name).read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), {})
            continue
        key, _, value = line.partition("=")
        current[key] = f"{current[key]} {value}".strip() if key in current else value
    return sections


def seconds(value: str) -> float:
    match = re.fullmatch(r"(\d+)(s|min)?", value)
    assert match, value
    return int(match.group(1)) * (60 if match.group(2) == "min" else 1)


def verify(folder: Path, *names: str) -> subprocess.CompletedProcess[str]:
    tool = debian_tool("systemd-analyze", "systemd")
    return subprocess.run(
        [tool, "verify", "--man=no", *(str(folder / name) for name in names)],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def units_here(tmp_path: Path) -> Path:
    """The units, their ExecStart pointed at this venv's `cryptopilot` (verify checks it)."""
    for path in UNITS.iterdir():
        if path.suffix in {".service", ".target"}:
            text = path.read_text().replace(INSTALLED, str(VENV_BIN / "cryptopilot"))
            (tmp_path / path.name).write_text(text)
    return tmp_path


def test_units_pass_systemd_analyze_verify(units_here: Path):
    result = verify(units_here, *SERVICES, "cryptopilot.target", "cryptopilot-pool@pool-1.service")
    assert result.returncode == 0, result.stderr
    # verify only warns (exit 0) about unknown keys and bad values: none may be reported.
    ours = [line for line in result.stderr.splitlines() if "cryptopilot" in line]
    assert ours == []


def test_verify_reports_a_misspelt_key_and_a_missing_binary(units_here: Path):
    pool = units_here / "cryptopilot-pool@.service"
    pool.write_text(pool.read_text().replace("MemoryMax=", "MemoryMaks="))
    gateway = units_here / "cryptopilot-gateway.service"
    gateway.write_text(gateway.read_text().replace(str(VENV_BIN / "cryptopilot"), "/nonexistent"))
    result = verify(units_here, "cryptopilot-pool@pool-1.service", "cryptopilot-gateway.service")
    assert "Unknown key 'MemoryMaks'" in result.stderr
    assert result.returncode != 0 and "/nonexistent" in result.stderr


@pytest.mark.parametrize("name", SERVICES)
def test_services_are_hardened(name: str):
    service = unit(name)["Service"]
    for key, value in HARDENING.items():
        assert service.get(key) == value, (name, key)
    assert service["User"] == "cryptopilot"
    assert service["ExecStart"].startswith(INSTALLED + " ")
    assert service["Restart"] == "on-failure"
    assert "MemoryMax" in service
    assert unit(name)["Install"]["WantedBy"] == "cryptopilot.target"


def test_pool_template_per_instance_env_data_and_a_graceful_stop():
    service = unit("cryptopilot-pool@.service")["Service"]
    assert service["EnvironmentFile"] == "/etc/cryptopilot/pool-%i.env"
    assert service["ReadWritePaths"] == "/var/lib/cryptopilot/pools/%i"
    assert "CRYPTOPILOT_POOL_DATA_DIR=/var/lib/cryptopilot/pools/%i" in service["Environment"]
    assert "CRYPTOPILOT_POOL_POOL_ID=%i" in service["Environment"]
    assert service["ExecStart"] == f"{INSTALLED} pool run"
    # The supervisor stops its bots (SIGTERM, stop_grace, SIGKILL); systemd signals only it
    # and waits longer than that grace.
    assert service["KillMode"] == "mixed"
    assert seconds(service["TimeoutStopSec"]) > PoolSettings().stop_grace
    assert service["MemoryMax"] == "1200M"


def test_target_wants_the_gateway_and_sandbox():
    target = unit("cryptopilot.target")
    assert set(target["Unit"]["Wants"].split()) == {
        "cryptopilot-gateway.service",
        "cryptopilot-sandbox.service",
    }
    assert target["Install"]["WantedBy"] == "multi-user.target"


def test_env_examples_name_real_settings_and_keep_secrets_empty():
    gateway = (UNITS / "gateway.env.example").read_text()
    pool = (UNITS / "pool.env.example").read_text()
    assert re.search(r"^CRYPTOPILOT_JWT_SECRET=$", gateway, re.M)
    assert re.search(r"^CRYPTOPILOT_TRUST_FORWARDED_FOR=true$", gateway, re.M)
    assert re.search(r"^CRYPTOPILOT_POOL_TOKEN=$", pool, re.M)
    for text, prefix, fields in (
        (gateway, "CRYPTOPILOT_", field_names(Settings)),
        (pool, "CRYPTOPILOT_POOL_", field_names(PoolSettings)),
    ):
        for line in text.splitlines():
            if line and not line.startswith("#"):
                # Plain KEY=VALUE lines without spaces: no quoting rules to get wrong.
                assert re.fullmatch(r"[A-Z_]+=\S*", line), line
                name = line.split("=")[0]
                assert name.removeprefix(prefix).lower() in fields, name

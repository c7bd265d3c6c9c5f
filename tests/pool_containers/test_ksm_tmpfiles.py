"""pool_containers/systemd/cryptopilot-ksm.conf applied by the real systemd-tmpfiles: the host's
ksmd runs at the rate the benchmarks measured. The host's settings are put back afterwards."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench import pool_memory
from runtime import ksm
from tests.pool_containers.tools import POOL_CONTAINERS, debian_tool, in_ci

CONF = POOL_CONTAINERS / "systemd" / "cryptopilot-ksm.conf"


def _lines() -> list[tuple[Path, str]]:
    writes = []
    for line in CONF.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            kind, path, *_, value = line.split()
            assert kind == "w", line  # write a value to an existing file, nothing else
            writes.append((Path(path), value))
    return writes


@pytest.fixture
def host_settings() -> Iterator[None]:
    if os.geteuid() != 0:
        message = "writing /sys/kernel/mm/ksm needs root"
        pytest.fail(message) if in_ci() else pytest.skip(message)
    before = {path: path.read_text() for path, _ in _lines()}
    yield
    for path, text in before.items():
        path.write_text(text)


def test_it_names_the_kernels_ksm_files_and_starts_it_last() -> None:
    writes = _lines()
    assert all(path.parent == ksm.SYSFS and path.exists() for path, _ in writes)
    assert writes[-1] == (ksm.SYSFS / "run", "1")  # the rate is set before ksmd starts


def test_its_rate_is_the_one_the_benchmark_measured() -> None:
    rate = dict((path.name, value) for path, value in _lines())
    parser_default = pool_memory.DEFAULT_KSM_PAGES
    assert rate["pages_to_scan"] == str(parser_default)
    assert rate["sleep_millisecs"] == "20"


def test_systemd_tmpfiles_applies_it(host_settings: None) -> None:
    tool = debian_tool("systemd-tmpfiles", "systemd")
    (ksm.SYSFS / "run").write_text("0\n")
    (ksm.SYSFS / "pages_to_scan").write_text("100\n")
    subprocess.run([tool, "--create", str(CONF)], check=True, capture_output=True)
    state = ksm.host()
    assert state is not None and state.running
    assert state.pages_to_scan == pool_memory.DEFAULT_KSM_PAGES and state.sleep_ms == 20

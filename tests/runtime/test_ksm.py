"""runtime/ksm.py on this kernel: the opt-in, its inheritance by forked children, a real
merge by the host's ksmd, and reading the host's state."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from runtime import ksm
from tests.helpers import wait_until

REPO = Path(__file__).resolve().parents[2]

# Opt in, fork a child that inherits it, fill 16 MiB with equal pages; report, then wait.
CHILD = """
import json, os, sys, time
from runtime import ksm
enabled = ksm.enable_merge()
pid = os.fork()
if pid == 0:
    time.sleep(120)
    os._exit(0)
pages = bytearray(b"m" * (16 * 1024 * 1024))
print(json.dumps({"enabled": enabled, "self": ksm.merging(), "child": ksm.merging(pid),
                  "child_pid": pid}), flush=True)
sys.stdin.read()
os.kill(pid, 9)
"""


@pytest.fixture
def opted_in() -> Iterator[tuple[subprocess.Popen[str], dict[str, object]]]:
    process = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(CHILD)],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    seen = json.loads(process.stdout.readline())
    yield process, seen
    process.communicate("", timeout=30)


@pytest.fixture
def ksmd_running() -> Iterator[None]:
    """The host's ksmd, scanning fast, for one test (root only); as it was afterwards."""
    if os.geteuid() != 0:
        pytest.fail("starting the host's ksmd needs root (as CI has)")
    names = ("run", "pages_to_scan", "sleep_millisecs")
    before = {name: (ksm.SYSFS / name).read_text() for name in names}
    (ksm.SYSFS / "pages_to_scan").write_text("5000\n")
    (ksm.SYSFS / "sleep_millisecs").write_text("10\n")
    (ksm.SYSFS / "run").write_text("1\n")
    yield
    for name in names:
        (ksm.SYSFS / name).write_text(before[name])


def test_the_opt_in_covers_the_process_and_children_forked_later(
    opted_in: tuple[subprocess.Popen[str], dict[str, object]],
) -> None:
    _, seen = opted_in
    assert seen["enabled"] is True and seen["self"] is True and seen["child"] is True
    assert ksm.merging() is False  # this test runner did not opt in
    assert ksm.merging(os.getpid()) is False


def test_the_hosts_ksmd_merges_an_opted_in_process(
    ksmd_running: None, opted_in: tuple[subprocess.Popen[str], dict[str, object]]
) -> None:
    process, _ = opted_in
    # 4,096 pages of equal bytes are merged into one: the process's merged pages grow.
    merged = wait_until(
        lambda: ksm.merged_bytes(process.pid) >= 8 * 1024 * 1024, timeout=60, what="a merge"
    )
    assert merged
    state = ksm.host()
    assert state is not None and state.running and state.saved_bytes > 0


def test_the_host_state_is_read_from_sysfs(tmp_path: Path) -> None:
    values = {"run": "1", "pages_to_scan": "1000", "sleep_millisecs": "20"}
    values |= {"full_scans": "7", "pages_sharing": "256"}
    for name, value in values.items():
        (tmp_path / name).write_text(value + "\n")
    assert ksm.host(tmp_path) == ksm.HostKsm(
        running=True, pages_to_scan=1000, sleep_ms=20, full_scans=7, saved_bytes=256 * ksm.PAGE
    )
    assert ksm.host(tmp_path).as_dict()["saved_bytes"] == 256 * ksm.PAGE  # type: ignore[union-attr]
    (tmp_path / "run").write_text("not a number\n")
    assert ksm.host(tmp_path) is None
    assert ksm.host(tmp_path / "missing") is None


def test_the_forkserver_environment_names_the_setting() -> None:
    assert ksm.wanted(ksm.environ_for(True)) and not ksm.wanted(ksm.environ_for(False))
    assert not ksm.wanted({})


def test_a_process_that_is_gone_has_nothing_merged() -> None:
    assert ksm.merged_bytes(2**22 + 12345) == 0
    assert ksm.merging(2**22 + 12345) is False


def test_a_merged_process_reports_its_bookkeeping(
    ksmd_running: None, opted_in: tuple[subprocess.Popen[str], dict[str, object]]
) -> None:
    process, _ = opted_in
    wait_until(lambda: ksm.merged_bytes(process.pid) > 0, timeout=60, what="a merge")
    figures = ksm.process(process.pid)
    assert figures.merged_bytes > 0
    # The kernel's bookkeeping (an rmap item per scanned page) is small but not free.
    assert 0 < figures.bookkeeping_bytes < figures.merged_bytes
    assert ksm.process(2**22 + 12345) == ksm.ProcessKsm(0, 0)

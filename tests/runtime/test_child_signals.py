"""A bot child's signal set-up: a peer hanging up must not kill it, SIGUSR2 dumps its stacks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

WRITE_TO_CLOSED_PEER = """
import socket
from runtime.child import _reset_signals

_reset_signals()
ours, theirs = socket.socketpair()
theirs.close()
try:
    for _ in range(3):
        ours.send(b"x" * 65536)
except (BrokenPipeError, ConnectionResetError):
    print("broken pipe handled")
"""


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_writing_to_a_closed_peer_is_an_error_not_a_death() -> None:
    out = _run(WRITE_TO_CLOSED_PEER)
    # Killed by SIGPIPE the return code would be -13 (what the pool saw under load).
    assert out.returncode == 0, (out.returncode, out.stderr)
    assert "broken pipe handled" in out.stdout


DUMP_ON_SIGUSR2 = """
import os, signal, threading, time
from runtime.child import _dump_stacks_on_sigusr2

_dump_stacks_on_sigusr2()
helper = threading.Thread(target=time.sleep, args=(30,), name="api", daemon=True)
helper.start()
os.kill(os.getpid(), signal.SIGUSR2)
time.sleep(0.2)
print("carried on")
"""


def test_sigusr2_writes_every_threads_stack_and_the_bot_carries_on() -> None:
    out = _run(DUMP_ON_SIGUSR2)
    assert out.returncode == 0, (out.returncode, out.stderr)
    assert "carried on" in out.stdout
    # faulthandler: the sleeping helper thread and the current (main) thread, with frames.
    assert "Thread 0x" in out.stderr and "threading.py" in out.stderr, out.stderr
    assert "Current thread 0x" in out.stderr and 'File "<string>", line 8' in out.stderr

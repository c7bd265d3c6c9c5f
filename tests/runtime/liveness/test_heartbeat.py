"""The heartbeat file: atomic replace, tolerant reads, cleared before a spawn."""

from __future__ import annotations

import json
from pathlib import Path

from runtime.liveness.heartbeat import Heartbeat, clear_heartbeat, read_heartbeat, write_heartbeat

BEAT = Heartbeat(
    at=1700000000.5,
    loop_s=0.31,
    pairs=3,
    open_trades=2,
    closed_profit=-4.25,
    throttle_s=5.0,
    state="running",
    pid=99,
)


def test_round_trip_and_age(tmp_path: Path) -> None:
    path = tmp_path / "heartbeat.json"
    write_heartbeat(path, BEAT)
    assert read_heartbeat(path) == BEAT
    assert not (tmp_path / "heartbeat.json.tmp").exists()
    shown = BEAT.to_dict(now=1700000010.5)
    assert shown["age_s"] == 10.0 and shown["open_trades"] == 2 and shown["pid"] == 99


def test_missing_truncated_or_wrong_files_read_as_none(tmp_path: Path) -> None:
    path = tmp_path / "heartbeat.json"
    assert read_heartbeat(path) is None
    path.write_text('{"at": 1', encoding="utf-8")
    assert read_heartbeat(path) is None
    path.write_text(json.dumps({"at": "soon"}), encoding="utf-8")
    assert read_heartbeat(path) is None
    path.write_text("[]", encoding="utf-8")
    assert read_heartbeat(path) is None


def test_clear_removes_it_and_tolerates_absence(tmp_path: Path) -> None:
    path = tmp_path / "heartbeat.json"
    write_heartbeat(path, BEAT)
    clear_heartbeat(path)
    clear_heartbeat(path)
    assert not path.exists()

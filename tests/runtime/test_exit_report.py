"""The bot's last-error report: reserved at start, written over its blanks, read by the pool."""

from __future__ import annotations

from pathlib import Path

import pytest

from runtime import exit_report
from tests.fixtures.tmpfs import fill, tmpfs_over


def test_a_reserved_report_reads_as_no_error(tmp_path: Path) -> None:
    path = tmp_path / "last_error.txt"
    exit_report.reserve(str(path))
    assert path.stat().st_size == exit_report.RESERVED_BYTES
    assert exit_report.read(path) is None
    assert exit_report.read(tmp_path / "missing.txt") is None


def test_the_error_replaces_the_blanks_and_is_cut_to_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "last_error.txt"
    exit_report.reserve(str(path))
    exit_report.write(str(path), OSError(28, "No space left on device"))
    assert exit_report.read(path) == "OSError: [Errno 28] No space left on device"
    exit_report.write(str(path), ValueError("é" * 5000))
    text = exit_report.read(path)
    assert text is not None
    assert text.startswith("ValueError: éé")
    assert len(text) == exit_report.MAX_CHARS
    assert path.stat().st_size == exit_report.RESERVED_BYTES


def test_writing_where_it_cannot_does_not_raise(tmp_path: Path) -> None:
    exit_report.write(str(tmp_path / "no-such-folder" / "last_error.txt"), RuntimeError("x"))


def test_the_report_fits_on_a_full_disk_when_it_was_reserved(tmp_path: Path) -> None:
    folder = tmp_path / "bot"
    folder.mkdir()
    with tmpfs_over(folder, "1m"):
        reserved, unreserved = folder / "reserved.txt", folder / "unreserved.txt"
        exit_report.reserve(str(reserved))
        fill(folder)
        with pytest.raises(OSError, match="No space left"):
            unreserved.write_text("x" * 65536)
        exit_report.write(str(reserved), OSError(28, "No space left on device"))
        assert exit_report.read(reserved) == "OSError: [Errno 28] No space left on device"

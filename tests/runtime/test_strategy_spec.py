"""`strategy_version` in a bot's spec: what is accepted, refused (422/413) and stored."""

from __future__ import annotations

from typing import Any

import pytest

from runtime.errors import InvalidInput, TooLarge
from runtime.spec import (
    MAX_STRATEGY_FILE_BYTES,
    MAX_STRATEGY_FILES,
    MAX_STRATEGY_TREE_BYTES,
    BotSpec,
    StrategyVersion,
    apply_patch,
    parse_bot_spec,
    split_strategy_files,
)
from tests.runtime.conftest import bot_body

COMMIT = "0123456789abcdef0123456789abcdef01234567"
SOURCE = "class S(IStrategy):\n    pass\n"


def versioned(**version: Any) -> dict[str, Any]:
    value = {"commit": COMMIT, "version": 2, "files": {"s.py": SOURCE}} | version
    return bot_body("b1", strategy_version=value)


def test_the_files_are_split_off_and_only_commit_and_version_are_stored() -> None:
    files = {"s.py": SOURCE, "lib/base.py": "X = 1\n", "lib/deep/__init__.py": ""}
    body, split = split_strategy_files(versioned(files=files))
    assert split == files
    spec = parse_bot_spec(body)
    assert spec.strategy_version == StrategyVersion(COMMIT, 2)
    stored = spec.to_dict()
    assert stored["strategy_version"] == {"commit": COMMIT, "version": 2}
    assert BotSpec.from_dict(stored) == spec


def test_without_a_version_the_spec_is_as_before() -> None:
    body, files = split_strategy_files(bot_body("b1"))
    assert files is None and parse_bot_spec(body).strategy_version is None
    body, files = split_strategy_files(bot_body("b1", strategy_version=None))
    assert files is None and parse_bot_spec(body).strategy_version is None
    # A pool.json of an earlier version has no strategy_version.
    old = parse_bot_spec(bot_body("b1")).to_dict()
    del old["strategy_version"]
    assert BotSpec.from_dict(old).strategy_version is None


@pytest.mark.parametrize(
    ("version", "code"),
    [
        ({"commit": "abc"}, "INVALID_STRATEGY_VERSION"),
        ({"commit": COMMIT.upper()}, "INVALID_STRATEGY_VERSION"),
        ({"commit": 12}, "INVALID_STRATEGY_VERSION"),
        ({"version": 0}, "INVALID_STRATEGY_VERSION"),
        ({"version": True}, "INVALID_STRATEGY_VERSION"),
        ({"version": "2"}, "INVALID_STRATEGY_VERSION"),
        ({"author": "eve"}, "INVALID_STRATEGY_VERSION"),
        ({"files": {}}, "INVALID_STRATEGY_FILE"),
        ({"files": ["s.py"]}, "INVALID_STRATEGY_FILE"),
        ({"files": {"/etc/s.py": SOURCE}}, "INVALID_STRATEGY_FILE"),
        ({"files": {"../s.py": SOURCE}}, "INVALID_STRATEGY_FILE"),
        ({"files": {"lib/../../s.py": SOURCE}}, "INVALID_STRATEGY_FILE"),
        ({"files": {"lib//s.py": SOURCE}}, "INVALID_STRATEGY_FILE"),
        ({"files": {"./s.py": SOURCE}}, "INVALID_STRATEGY_FILE"),
        ({"files": {".hidden.py": SOURCE}}, "INVALID_STRATEGY_FILE"),
        ({"files": {"lib\\s.py": SOURCE}}, "INVALID_STRATEGY_FILE"),
        ({"files": {"s.txt": SOURCE}}, "INVALID_STRATEGY_FILE"),
        ({"files": {"s.py": 3}}, "INVALID_STRATEGY_FILE"),
        ({"files": {"a.py": "", "a.py/b.py": ""}}, "INVALID_STRATEGY_FILE"),
        ({"files": {"/".join(["d"] * 8) + "/s.py": ""}}, "INVALID_STRATEGY_FILE"),
    ],
)
def test_bad_versions_are_refused(version: dict[str, Any], code: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        body, _ = split_strategy_files(versioned(**version))
        parse_bot_spec(body)
    assert refused.value.code == code and refused.value.status == 422


def test_a_version_without_its_files_is_refused() -> None:
    body = bot_body("b1", strategy_version={"commit": COMMIT, "version": 1})
    with pytest.raises(InvalidInput) as refused:
        split_strategy_files(body)
    assert refused.value.code == "INVALID_STRATEGY_VERSION"


@pytest.mark.parametrize(
    "files",
    [
        {"s.py": "x" * (MAX_STRATEGY_FILE_BYTES + 1)},
        {f"s{i}.py": "" for i in range(MAX_STRATEGY_FILES + 1)},
        {
            f"s{i}.py": "x" * MAX_STRATEGY_FILE_BYTES
            for i in range(MAX_STRATEGY_TREE_BYTES // MAX_STRATEGY_FILE_BYTES + 1)
        },
    ],
)
def test_too_large_trees_are_413(files: dict[str, str]) -> None:
    with pytest.raises(TooLarge) as refused:
        split_strategy_files(versioned(files=files))
    assert refused.value.code == "STRATEGY_TOO_LARGE" and refused.value.status == 413


def test_strategy_and_version_are_patchable() -> None:
    spec = parse_bot_spec(bot_body("b1"))
    body, files = split_strategy_files(
        {"strategy": "EmaRsiStrategy", "strategy_version": {**versioned()["strategy_version"]}}
    )
    patched = apply_patch(spec, body)
    assert patched.strategy == "EmaRsiStrategy"
    assert patched.strategy_version == StrategyVersion(COMMIT, 2)
    assert files == {"s.py": SOURCE}
    back = apply_patch(patched, {"strategy_version": None})
    assert back.strategy_version is None
    with pytest.raises(InvalidInput) as refused:
        apply_patch(spec, {"strategy": "not a class"})
    assert refused.value.code == "INVALID_STRATEGY"

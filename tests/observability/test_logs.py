"""The one logging set-up: JSON lines with context fields, readable text for terminals."""

from __future__ import annotations

import json
import logging

import pytest

from observability.logs import (
    ContextFilter,
    JsonFormatter,
    TextFormatter,
    bot_id_var,
    configure_logging,
    request_id_var,
    user_id_var,
)


def _record(msg: str = "hello %s", args: tuple[object, ...] = ("world",)) -> logging.LogRecord:
    record = logging.LogRecord("gateway.test", logging.INFO, __file__, 1, msg, args, None)
    ContextFilter().filter(record)
    return record


def test_json_formatter_carries_context_variables() -> None:
    tokens = (request_id_var.set("req-1"), user_id_var.set("user-9"), bot_id_var.set("bot-3"))
    try:
        line = JsonFormatter().format(_record())
    finally:
        request_id_var.reset(tokens[0])
        user_id_var.reset(tokens[1])
        bot_id_var.reset(tokens[2])
    entry = json.loads(line)
    assert entry["msg"] == "hello world"
    assert entry["level"] == "INFO"
    assert entry["logger"] == "gateway.test"
    assert (entry["request_id"], entry["user_id"], entry["bot_id"]) == ("req-1", "user-9", "bot-3")


def test_explicit_extra_wins_over_context_and_absent_fields_are_omitted() -> None:
    record = logging.LogRecord("x", logging.WARNING, __file__, 1, "m", (), None)
    record.bot_id = "explicit"
    ContextFilter().filter(record)
    entry = json.loads(JsonFormatter().format(record))
    assert entry["bot_id"] == "explicit"
    assert "request_id" not in entry
    assert "user_id" not in entry


def test_json_formatter_includes_exception_text() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    ContextFilter().filter(record)
    entry = json.loads(JsonFormatter().format(record))
    assert "ValueError: boom" in entry["exc"]


def test_text_formatter_appends_context() -> None:
    token = bot_id_var.set("b1")
    try:
        line = TextFormatter().format(_record())
    finally:
        bot_id_var.reset(token)
    assert line.endswith("hello world [bot_id=b1]")
    assert "[" not in TextFormatter().format(_record())


@pytest.mark.parametrize("json_logs", [True, False])
def test_configure_logging_installs_exactly_one_handler(
    json_logs: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    try:
        configure_logging("debug", json_logs=json_logs)
        configure_logging("debug", json_logs=json_logs)
        assert len(root.handlers) == 1
        assert root.level == logging.DEBUG
        logging.getLogger("t").debug("visible %d", 42)
        err = capsys.readouterr().err
        assert "visible 42" in err
        if json_logs:
            assert json.loads(err.strip().splitlines()[-1])["msg"] == "visible 42"
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in saved_handlers:
            root.addHandler(handler)
        root.setLevel(saved_level)

"""Logs: JSON lines for pipelines, text for people."""

from __future__ import annotations

import json
import logging
import sys

import pytest

from services.config import load_settings
from streams.ops.logs import JsonFormatter, configure_logging


def record(message: str, *args: object, exc: bool = False) -> logging.LogRecord:
    exc_info = None
    if exc:
        try:
            raise ValueError("boom\nsecond line")
        except ValueError:
            exc_info = sys.exc_info()
    return logging.LogRecord("claims.test", logging.WARNING, __file__, 1, message, args, exc_info)


def test_a_json_log_record_is_one_object_on_one_line() -> None:
    line = JsonFormatter().format(record("dead-lettered %s[%d]@%d:\n%s", "t", 3, 9, "why"))
    assert "\n" not in line
    out = json.loads(line)
    assert out["level"] == "WARNING"
    assert out["logger"] == "claims.test"
    assert out["message"] == "dead-lettered t[3]@9:\nwhy"
    assert out["ts"].endswith("+00:00")
    assert "exc" not in out


def test_an_exception_stays_inside_its_one_json_line() -> None:
    line = JsonFormatter().format(record("failed", exc=True))
    assert "\n" not in line
    out = json.loads(line)
    assert "ValueError: boom" in out["exc"]


@pytest.mark.parametrize(
    ("fmt", "formatter"), [("json", JsonFormatter), ("text", logging.Formatter)]
)
def test_the_log_format_setting_chooses_the_formatter(
    fmt: str, formatter: type[logging.Formatter]
) -> None:
    root = logging.getLogger()
    saved, level = root.handlers[:], root.level
    try:
        configure_logging(
            load_settings({"NIK_HASH_KEY": "k" * 16, "LOG_FORMAT": fmt, "LOG_LEVEL": "ERROR"})
        )
        (handler,) = root.handlers
        assert type(handler.formatter) is formatter
        assert root.level == logging.ERROR
        assert logging.getLogger("kafka").level == logging.WARNING
    finally:
        root.handlers[:] = saved
        root.setLevel(level)

"""Logging setup: text for people, JSON lines (LOG_FORMAT=json) for log pipelines; every record
redacted of the configured secrets (services/redaction.py) on its way out."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Final

from services.config import Settings
from services.redaction import Redactor, redactor

# What a log call about one consumed message adds with `extra=` (see `event_fields`); JSON lines
# carry each as a key of its own, so a log pipeline can filter on them without parsing text.
EVENT_FIELDS: Final = ("topic", "partition", "offset", "claim_id", "consumer", "error_class")


def event_fields(
    message: Any, decode: Callable[[bytes], Any] | None = None, **more: str
) -> dict[str, Any]:
    """`extra=` for a log record about one consumed message: topic, partition, offset and, when
    the value decodes and has one, the claim id. Never the key or the value: an upstream value
    carries a clear NIK."""
    fields: dict[str, Any] = {
        "topic": message.topic,
        "partition": message.partition,
        "offset": message.offset,
        **more,
    }
    if decode is not None and isinstance(message.value, bytes):
        try:
            claim_id = decode(message.value).record.get("claim_id")
        except Exception:  # a value that does not decode has no claim id to show
            claim_id = None
        if isinstance(claim_id, str):
            fields["claim_id"] = claim_id
    return fields


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with the EVENT_FIELDS a record has; messages never carry a
    clear NIK (intake masks it)."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in EVENT_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                out[name] = value
        if record.exc_text:  # as RedactSecrets left it
            out["exc"] = record.exc_text
        elif record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        if record.stack_info:
            out["stack"] = record.stack_info
        return json.dumps(out, default=str)


class RedactSecrets(logging.Filter):
    """The last line of defence: every configured secret replaced in a record's message, its
    traceback, its stack and its extra fields, whoever logged it (our code, Faust, mode,
    aiokafka, asyncpg). A handler's filter, so it sees records propagated from every logger."""

    _traceback = logging.Formatter()

    def __init__(self, redact: Redactor) -> None:
        super().__init__()
        self.redact = redact

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = self.redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._traceback.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        for name in EVENT_FIELDS:
            value = getattr(record, name, None)
            if isinstance(value, str):
                setattr(record, name, self.redact(value))
        return True


def configure_logging(settings: Settings) -> None:
    handler = logging.StreamHandler()
    handler.addFilter(RedactSecrets(redactor(settings)))
    if settings.log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level)
    # kafka-python (admin client) logs every connection at INFO: noise for operators. At DEBUG
    # it logs its whole configuration, the SASL password included (redacted by RedactSecrets).
    logging.getLogger("kafka").setLevel(logging.WARNING)

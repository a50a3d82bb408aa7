"""Logging setup: text for people, JSON lines (LOG_FORMAT=json) for log pipelines."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from services.config import Settings


class JsonFormatter(logging.Formatter):
    """One JSON object per line; messages never carry a clear NIK (intake masks it)."""

    def format(self, record: logging.LogRecord) -> str:
        out = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out)


def configure_logging(settings: Settings) -> None:
    handler = logging.StreamHandler()
    if settings.log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level)
    # kafka-python (admin client) logs every connection at INFO: noise for operators.
    logging.getLogger("kafka").setLevel(logging.WARNING)

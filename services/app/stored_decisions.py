"""Decisions as the participant's state keeps them (re-emitted byte-for-byte equal in content on
replay)."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any


def encode_stored(decision: Mapping[str, Any]) -> str:
    return base64.b64encode(_STORED.encode(decision).encode()).decode()


def decode_stored(stored: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(base64.b64decode(stored["decision"]))
    out["occurred_at"] = datetime.fromisoformat(out["occurred_at"])
    out["submitted_at"] = datetime.fromisoformat(out["submitted_at"])
    out["event_date"] = date.fromisoformat(out["event_date"])
    out.setdefault("assessment_inputs", None)  # kept with the first decision's row only
    return out


def _json_default(value: object) -> str:
    if isinstance(value, date | datetime):
        return value.isoformat()
    raise TypeError(f"cannot store {type(value).__name__}")


# Built once: json.dumps with any option builds a new encoder for every call.
_STORED = json.JSONEncoder(default=_json_default)

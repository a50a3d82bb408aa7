"""Where the tests find promtool and prometheus, and what they do when they are missing."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PROMETHEUS_DIR = REPO / "deploy" / "prometheus"
GRAFANA_DIR = REPO / "deploy" / "grafana"
# Set to 1 to skip, rather than fail, the tests that need promtool or prometheus (a laptop
# without them). CI never sets it: `make test` installs both first (`make tools`).
ALLOW_MISSING = "ALLOW_MISSING_PROMETHEUS"


def require(tool: str) -> str:
    """The path of `tool` (promtool or prometheus); fails the test when it is missing."""
    found = shutil.which(tool)
    if found:
        return found
    message = (
        f"{tool} not found on PATH: run `make tools` (deploy/local/stack tools installs Debian's "
        f"prometheus package), or set {ALLOW_MISSING}=1 to skip the tests that need it"
    )
    if os.environ.get(ALLOW_MISSING) == "1":
        pytest.skip(message)
    pytest.fail(message, pytrace=False)

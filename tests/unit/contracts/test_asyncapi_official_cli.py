"""The official AsyncAPI CLI (@asyncapi/cli from npm, tools/asyncapi) parses and validates the
event catalogue: not only our own checks (test_asyncapi.py) but the specification's tooling."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
TOOLS = REPO / "tools" / "asyncapi"
CLI = TOOLS / "node_modules" / ".bin" / "asyncapi"
CATALOGUE = REPO / "schemas" / "asyncapi.yaml"


def asyncapi(*args: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    if not CLI.exists():
        pytest.fail(
            f"{CLI} not found: run `make tools` (deploy/local/stack tools runs npm ci in"
            " tools/asyncapi)",
            pytrace=False,
        )
    config = tmp_path / "analytics.json"  # anonymous usage metrics off: no network at run time
    shutil.copy(TOOLS / "analytics.json", config)
    env = os.environ | {
        "ASYNCAPI_METRICS_CONFIG_PATH": str(config),
        "SUPPRESS_NO_CONFIG_WARNING": "1",
        "CI": "true",
    }
    return subprocess.run(
        [str(CLI), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )


def test_the_official_cli_validates_the_catalogue(tmp_path: Path) -> None:
    result = asyncapi("validate", str(CATALOGUE), tmp_path=tmp_path)
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert f"File {CATALOGUE} is valid" in out
    assert "0 errors, 0 warnings" in out or "no issues" in out.lower(), out


def test_the_official_cli_refuses_a_broken_catalogue(tmp_path: Path) -> None:
    """The check can fail: an operation whose message reference points at nothing."""
    text = CATALOGUE.read_text(encoding="utf-8")
    ref = "$ref: '#/channels/deadLetters/messages/DeadLetter'"
    assert ref in text
    copy = shutil.copytree(CATALOGUE.parent, tmp_path / "schemas")  # the .avsc files it refers to
    (copy / "asyncapi.yaml").write_text(text.replace(ref, ref[:-1] + "Missing'"), encoding="utf-8")
    as_given = asyncapi("validate", str(copy / "asyncapi.yaml"), tmp_path=tmp_path)
    out = as_given.stdout + as_given.stderr
    assert as_given.returncode != 0, out
    assert "DeadLetterMissing" in out and "ENOENT" not in out, out  # that ref, not a lost file

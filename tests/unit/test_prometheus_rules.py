"""deploy/prometheus: the config and the alert rules pass promtool, and every alert has a unit test
where it fires and one where it does not."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.prometheus_support import PROMETHEUS_DIR, require

ALERTS = PROMETHEUS_DIR / "alerts.yml"
ALERT_TESTS = PROMETHEUS_DIR / "alerts_test.yml"


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [require("promtool"), *args],
        cwd=PROMETHEUS_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def rules() -> list[dict[str, Any]]:
    loaded = yaml.safe_load(ALERTS.read_text())
    return [rule for group in loaded["groups"] for rule in group["rules"]]


def alert_names() -> set[str]:
    return {rule["alert"] for rule in rules() if "alert" in rule}


def test_the_scrape_config_and_the_rule_files_it_names_are_valid() -> None:
    done = promtool("check", "config", "prometheus.yml")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "alerts.yml" in done.stdout  # the config loads the alert rules


def test_the_alert_rules_are_valid() -> None:
    done = promtool("check", "rules", ALERTS.name)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_alert_rules_pass_their_unit_tests() -> None:
    done = promtool("test", "rules", ALERT_TESTS.name)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout


@pytest.mark.parametrize("fires", [True, False], ids=["fires", "stays-quiet"])
def test_every_alert_has_a_unit_test_where_it(fires: bool) -> None:
    cases = yaml.safe_load(ALERT_TESTS.read_text())["tests"]
    covered = {
        check["alertname"]
        for case in cases
        for check in case.get("alert_rule_test", [])
        if bool(check.get("exp_alerts")) == fires
    }
    assert alert_names() - covered == set()


def test_every_alert_has_a_severity_a_summary_and_a_description() -> None:
    for rule in rules():
        if "alert" in rule:
            assert rule["labels"]["severity"] in ("warning", "critical"), rule["alert"]
            assert {"summary", "description"} <= set(rule["annotations"]), rule["alert"]


def test_the_rule_files_named_by_the_config_exist() -> None:
    config = yaml.safe_load((PROMETHEUS_DIR / "prometheus.yml").read_text())
    for name in config["rule_files"]:
        assert Path(PROMETHEUS_DIR / name).is_file(), name

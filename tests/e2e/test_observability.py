"""Operations through a running worker: a real Prometheus scrapes it and counts what was sent,
GET /claims/{id} serves the `claims status` document, and JSON log lines name the event."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.e2e.conftest import REPO, Env, free_port
from tests.e2e.events import PARTICIPANTS, claim, contributions, enrolled, jht, jkk, jp, nik
from tests.prometheus_support import PROMETHEUS_DIR, require

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

WORKER_ENV = {"LOG_FORMAT": "json"}
WAGE = 5_000_000
PU_ALL = ["JHT", "JKK", "JKM", "JP"]
PU_RATES = {"JHT": 285_000, "JKK": 44_500, "JKM": 15_000, "JP": 150_000}
BIRTH = date(1985, 4, 12)
CLEAR_NIK = nik(BIRTH, 1)
# medical 12.5m + land transport 0.75m + STMB 60 days (2 × 5m) + 70% × 80 × 5m + periodic 12m
JKK_TOTAL = 12_500_000 + 750_000 + 10_000_000 + 280_000_000 + 12_000_000
DECISIONS = {
    ("JKK", "APPROVED"): 1,  # O1-JKK-TD
    ("JHT", "REJECTED"): 1,  # O2-JHT-AGE
    ("JP", "REJECTED"): 1,  # O3-JP-AGE
    ("JKK", "REJECTED"): 1,  # O4-UNKNOWN
}
# No payment service runs in this module: the approved claim stays unpaid, and its due date
# (7 working days after 20 June 2025: 2 July 2025) is long past.
DUE = "2025-07-02"


@dataclass
class Prometheus:
    """A Prometheus server (Debian's /usr/bin/prometheus) on a free loopback port."""

    url: str
    proc: subprocess.Popen[bytes]
    log: Path

    def query(self, promql: str) -> dict[tuple[str, ...], float]:
        """Instant query: label values (sorted by label name, __name__ left out) -> value."""
        url = f"{self.url}/api/v1/query?" + urllib.parse.urlencode({"query": promql})
        with urllib.request.urlopen(url, timeout=10) as r:  # our own loopback server
            body = json.load(r)
        assert body["status"] == "success", body
        return {
            tuple(v for k, v in sorted(s["metric"].items()) if k != "__name__"): float(
                s["value"][1]
            )
            for s in body["data"]["result"]
        }

    def api(self, path: str) -> Any:
        with urllib.request.urlopen(f"{self.url}{path}", timeout=10) as r:
            return json.load(r)

    def wait_for(self, what: str, promql: str, expected: Any, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        got: Any = None
        while time.monotonic() < deadline:
            got = self.query(promql)
            if got == expected:
                return
            time.sleep(1)
        raise AssertionError(f"{what}: {promql} is {got}, expected {expected}\n{self.tail()}")

    def tail(self) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-30:])


@pytest.fixture(scope="module")
def prometheus(pipeline: Env, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Prometheus]:
    binary = require("prometheus")
    tmp = tmp_path_factory.mktemp("prometheus")
    port = free_port()
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(PROMETHEUS_DIR / "alerts.yml")],
        "scrape_configs": [
            {
                "job_name": "claims-worker",
                "metrics_path": "/metrics",
                "static_configs": [{"targets": [f"127.0.0.1:{pipeline.worker.env['WEB_PORT']}"]}],
            }
        ],
    }
    (tmp / "prometheus.yml").write_text(yaml.safe_dump(config))
    log = tmp / "prometheus.log"
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [
                binary,
                f"--config.file={tmp / 'prometheus.yml'}",
                f"--storage.tsdb.path={tmp / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--log.level=warn",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Prometheus(f"http://127.0.0.1:{port}", proc, log)
    try:
        _wait_ready(server)
        yield server
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)


def _wait_ready(server: Prometheus, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise AssertionError(f"prometheus exited {server.proc.returncode}:\n{server.tail()}")
        try:
            with urllib.request.urlopen(f"{server.url}/-/ready", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"prometheus not ready after {timeout}s:\n{server.tail()}")


def submit(env: Env, record: dict[str, Any]) -> None:
    env.send(PARTICIPANTS, record["kpj"], "bpjs.claim.ClaimSubmitted", record)


@pytest.fixture(scope="module")
def sent(pipeline: Env) -> Env:
    """One PU participant with four claims between them, a claim for a KPJ nobody enrolled, and
    a claim whose NIK has 15 digits (a dead letter); decided, settled, not paid."""
    kpj = "32000000001"
    # Enrolled when its contributions start: no arrears, so BPJS (not the employer) owes the
    # JKK claim and its deadline.
    person = enrolled(kpj, BIRTH, 1, "PU", PU_ALL, WAGE, date(2023, 6, 1))
    pipeline.send(PARTICIPANTS, kpj, "bpjs.enrollment.ParticipantEnrolled", person)
    for c in contributions(kpj, CLEAR_NIK, WAGE, date(2023, 6, 1), 24, PU_RATES):
        pipeline.send(PARTICIPANTS, kpj, "bpjs.contribution.ContributionPosted", c)
    accident = jkk(
        "TOTAL_DISABILITY", WAGE, date(2025, 6, 3), medical=12_500_000, land=750_000, days=60
    )
    submit(
        pipeline,
        claim("O1-JKK-TD", kpj, CLEAR_NIK, "JKK", date(2025, 6, 2), date(2025, 6, 20), accident),
    )
    submit(
        pipeline,
        claim(
            "O2-JHT-AGE", kpj, CLEAR_NIK, "JHT", date(2025, 6, 30), date(2025, 7, 1), jht("AGE_56")
        ),
    )
    submit(
        pipeline,
        claim("O3-JP-AGE", kpj, CLEAR_NIK, "JP", date(2025, 7, 1), date(2025, 7, 2), jp("OLD_AGE")),
    )
    stranger = nik(date(1990, 1, 1), 9)
    submit(
        pipeline,
        claim(
            "O4-UNKNOWN",
            "32099999999",
            stranger,
            "JKK",
            date(2025, 6, 1),
            date(2025, 6, 2),
            jkk("RECOVERED", WAGE, date(2025, 6, 1)),
        ),
    )
    bad = claim(
        "O5-BAD-NIK",
        kpj,
        CLEAR_NIK[:15],
        "JKK",
        date(2025, 6, 1),
        date(2025, 6, 2),
        jkk("RECOVERED", WAGE, date(2025, 6, 1)),
    )
    submit(pipeline, bad)
    pipeline.wait_for(
        "every claim decided and the approved one settled",
        lambda: pipeline.query(
            "SELECT (SELECT count(*) FROM claims) = 4 AND (SELECT count(*) FROM settlements) = 1"
            " AND (SELECT count(*) FROM dead_letters) = 1 AS done"
        )[0]["done"],
    )
    return pipeline


# ---------------------------------------------------------------------------- Prometheus


def test_prometheus_counts_every_decision_by_program_and_outcome(
    sent: Env, prometheus: Prometheus
) -> None:
    expected = {k: float(v) for k, v in DECISIONS.items()}
    # Label values sorted by label name: (instance, job, outcome, program) -> reorder.
    prometheus.wait_for(
        "decisions",
        "sum by (program, outcome) (claims_decisions_total)",
        {(outcome, program): n for (program, outcome), n in expected.items()},
    )
    assert prometheus.query('sum by (reason) (claims_rejections_total{program="JKK"})') == {
        ("not_enrolled",): 1.0
    }


def test_prometheus_sees_the_settlement_its_amount_and_the_dead_letter(
    sent: Env, prometheus: Prometheus
) -> None:
    prometheus.wait_for(
        "settled amount",
        "sum by (program) (claims_settled_amount_rupiah_total)",
        {("JKK",): float(JKK_TOTAL)},
    )
    prometheus.wait_for(
        "dead letters",
        "sum by (error_class, topic) (claims_dead_letters_total)",
        {("InvalidEvent", sent.topic(PARTICIPANTS)): 1.0},
    )


def test_prometheus_sees_the_unpaid_claim_past_its_due_date_once(
    sent: Env, prometheus: Prometheus
) -> None:
    prometheus.wait_for(
        "overdue claims",
        'max by (program) (claims_deadline_pending{state="overdue"}) > 0',
        {("JKK",): 1.0},
    )
    assert prometheus.query('sum(claims_deadline_pending{state="due_soon"})') == {(): 0.0}
    # Published by the leader's relay: nothing left waiting.
    prometheus.wait_for("outbox backlog", "max(claims_outbox_backlog)", {(): 0.0})


def test_prometheus_sees_consumer_lag_per_declared_topic_fall_to_zero(
    sent: Env, prometheus: Prometheus
) -> None:
    prometheus.wait_for(
        "lag",
        "sum(claims_consumer_lag_messages)",
        {(): 0.0},
    )
    topics = prometheus.query("count by (topic) (claims_consumer_lag_messages)")
    assert (PARTICIPANTS,) in topics  # the declared name: no TOPIC_PREFIX in the label
    partitions = prometheus.query(f'count(claims_consumer_lag_messages{{topic="{PARTICIPANTS}"}})')
    assert partitions == {(): float(sent.settings.topic_partitions)}


def test_prometheus_loads_the_alert_rules_and_the_worker_is_up(
    sent: Env, prometheus: Prometheus
) -> None:
    prometheus.wait_for("worker up", 'up{job="claims-worker"}', {_up_labels(sent): 1.0})
    groups = prometheus.api("/api/v1/rules")["data"]["groups"]
    alerts = {r["name"] for g in groups for r in g["rules"] if r["type"] == "alerting"}
    rules = yaml.safe_load((PROMETHEUS_DIR / "alerts.yml").read_text())["groups"]
    assert alerts == {r["alert"] for g in rules for r in g["rules"] if "alert" in r}
    assert all(r["health"] == "ok" for g in groups for r in g["rules"]), groups


def _up_labels(env: Env) -> tuple[str, ...]:
    return (f"127.0.0.1:{env.worker.env['WEB_PORT']}", "claims-worker")


# ---------------------------------------------------------------------------- claim status view


def http_get(env: Env, path: str) -> tuple[int, str, dict[str, Any]]:
    url = f"http://127.0.0.1:{env.worker.env['WEB_PORT']}{path}"
    try:
        with urllib.request.urlopen(url, timeout=10) as r:  # our own loopback worker
            return r.status, r.headers["Content-Type"], json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, e.headers["Content-Type"], json.loads(e.read())


def cli_status(env: Env, claim_id: str) -> tuple[int, dict[str, Any]]:
    done = subprocess.run(
        [sys.executable, "-m", "claims.cli", "status", claim_id],
        env=env.worker.env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return done.returncode, json.loads(done.stdout)


@pytest.mark.parametrize("claim_id", ["O1-JKK-TD", "O2-JHT-AGE"])
def test_the_http_view_serves_the_same_document_as_the_cli(sent: Env, claim_id: str) -> None:
    status, content_type, document = http_get(sent, f"/claims/{claim_id}")
    code, printed = cli_status(sent, claim_id)
    assert (status, code) == (200, 0)
    assert content_type.startswith("application/json")
    assert document == printed
    assert CLEAR_NIK not in json.dumps(document)


def test_the_status_document_has_state_decision_reasons_amounts_due_date_and_payment(
    sent: Env,
) -> None:
    _, _, approved = http_get(sent, "/claims/O1-JKK-TD")
    assert (approved["state"], approved["outcome"], approved["reasons"]) == (
        "PENDING",
        "APPROVED",
        [],
    )
    assert approved["total"] == JKK_TOTAL
    assert sum(c["amount"] for c in approved["components"]) == JKK_TOTAL
    assert (approved["due_date"], approved["payment_status"]) == (DUE, "PENDING")
    assert approved["checks"] and approved["rule_set_version"]
    _, _, rejected = http_get(sent, "/claims/O2-JHT-AGE")
    assert (rejected["state"], rejected["reasons"], rejected["total"]) == (
        "REJECTED",
        ["age_not_reached"],
        0,
    )
    assert rejected["due_date"] is None and rejected["payment_status"] is None


def test_an_unknown_claim_is_a_404_with_the_cli_s_not_found_document(sent: Env) -> None:
    status, content_type, document = http_get(sent, "/claims/NO-SUCH-CLAIM")
    code, printed = cli_status(sent, "NO-SUCH-CLAIM")
    assert (status, code) == (404, 3)
    assert content_type.startswith("application/json")
    assert document == printed == {"claim_id": "NO-SUCH-CLAIM", "error": "not found"}


# ---------------------------------------------------------------------------- logs


def test_json_log_lines_name_the_dead_letter_s_position_and_claim_and_never_the_nik(
    sent: Env,
) -> None:
    text = sent.worker.log.read_text(errors="replace")
    assert CLEAR_NIK not in text and CLEAR_NIK[:15] not in text
    lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    (dead,) = [line for line in lines if line["message"].startswith("dead-lettered")]
    offset = dead_letter_offset(sent)
    assert (dead["topic"], dead["offset"], dead["claim_id"]) == (
        sent.topic(PARTICIPANTS),
        offset,
        "O5-BAD-NIK",
    )
    assert (dead["error_class"], dead["consumer"]) == ("InvalidEvent", "participant-events")
    assert f"{dead['topic']}[{dead['partition']}]@{offset}" in dead["message"]


def dead_letter_offset(env: Env) -> int:
    (row,) = env.query('SELECT "offset" FROM dead_letters')
    return int(row["offset"])

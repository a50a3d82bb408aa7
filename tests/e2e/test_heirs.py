"""Heirs in statutory order through real Kafka and PostgreSQL (#15): three workers die in work
accidents on 5 May 2025, each on a Rp4m wage with every month paid.

- H1 leaves no heir: only the funeral cost (Rp10m) is paid, to whoever arranged the burial.
- H2 leaves a widow, a child and a parent, and the claim names the parent as payee: the widow
  and the child come first, so the claim is rejected as payee_not_beneficiary.
- H3 leaves a sibling and a parent, and the parent is the payee: the parent comes before the
  sibling, so the whole benefit is paid (48 × Rp4m + funeral Rp10m + periodic Rp12m).
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest

from tests.e2e.conftest import Env
from tests.e2e.events import PARTICIPANTS, PAYEE, claim, contributions, enrolled, jkk

DUE_4M = {"JKK": 35_600, "JKM": 12_000, "JHT": 228_000, "JP": 120_000}
PROGRAMS = ["JKK", "JKM", "JHT", "JP"]
ACCIDENT = date(2025, 5, 5)
PAYEE_NAME = PAYEE["name"]
HEIRS: dict[str, list[dict[str, str]]] = {
    "H1": [],
    "H2": [
        {"name": "Siti Rahayu", "relation": "SPOUSE"},
        {"name": "Budi Santoso", "relation": "CHILD"},
        {"name": PAYEE_NAME, "relation": "PARENT"},
    ],
    "H3": [
        {"name": "Dewi Lestari", "relation": "SIBLING"},
        {"name": PAYEE_NAME, "relation": "PARENT"},
    ],
}


def publish(env: Env) -> None:
    for n, (name, heirs) in enumerate(HEIRS.items(), start=1):
        kpj = f"2501500000{n}"
        person = enrolled(
            kpj, date(1985, 2, 1), 5000 + n, "PU", PROGRAMS, 4_000_000, date(2024, 1, 1)
        )
        env.send(PARTICIPANTS, kpj, "bpjs.enrollment.ParticipantEnrolled", person)
        for posting in contributions(kpj, person["nik"], 4_000_000, date(2024, 1, 1), 16, DUE_4M):
            env.send(PARTICIPANTS, kpj, "bpjs.contribution.ContributionPosted", posting)
        detail = jkk("DEATH", 4_000_000, date(2025, 5, 6), heirs=heirs)
        submitted = claim(
            f"E15-{name}", kpj, person["nik"], "JKK", ACCIDENT, date(2025, 5, 12), detail
        )
        env.send(PARTICIPANTS, kpj, "bpjs.claim.ClaimSubmitted", submitted)


@pytest.fixture(scope="module")
def published(pipeline: Env) -> Env:
    publish(pipeline)
    pipeline.wait_for(
        "three claims decided and the two approved settled",
        lambda: (
            len(pipeline.query("SELECT 1 FROM claims WHERE claim_id LIKE 'E15-%'")) == 3
            and len(pipeline.query("SELECT 1 FROM settlements WHERE claim_id LIKE 'E15-%'")) == 2
        ),
    )
    return pipeline


def decided(env: Env, claim_id: str) -> dict[str, Any]:
    (row,) = env.query(
        "SELECT outcome, reasons, total, decision FROM claims WHERE claim_id = $1", claim_id
    )
    decision = json.loads(row["decision"])
    return {
        "outcome": row["outcome"],
        "reasons": list(row["reasons"]),
        "total": row["total"],
        "components": {c["code"]: c["amount"] for c in decision["components"]},
        "checks": {c["name"]: c for c in decision["checks"]},
    }


def test_a_death_with_no_heir_pays_only_the_funeral_cost(published: Env) -> None:
    got = decided(published, "E15-H1")
    assert (got["outcome"], got["total"], got["components"]) == (
        "APPROVED",
        10_000_000,
        {"JKK_FUNERAL": 10_000_000},
    )
    assert "only the funeral cost" in got["checks"]["eligible_heir"]["detail"]
    (settled,) = published.query(
        "SELECT s.amount, o.claim_id IS NOT NULL AS instructed FROM settlements s"
        " LEFT JOIN payment_outbox o USING (claim_id) WHERE s.claim_id = 'E15-H1'"
    )
    assert settled == {"amount": 10_000_000, "instructed": True}


def test_the_widow_and_child_come_before_the_parent_named_as_payee(published: Env) -> None:
    got = decided(published, "E15-H2")
    assert (got["outcome"], got["reasons"], got["total"]) == (
        "REJECTED",
        ["payee_not_beneficiary"],
        0,
    )
    assert "2 entitled heir(s) (CHILD/SPOUSE)" in got["checks"]["eligible_heir"]["detail"]
    assert published.query("SELECT 1 FROM settlements WHERE claim_id = 'E15-H2'") == []


def test_a_parent_comes_before_a_sibling_and_is_paid_the_whole_benefit(published: Env) -> None:
    got = decided(published, "E15-H3")
    assert (got["outcome"], got["total"]) == ("APPROVED", 48 * 4_000_000 + 10_000_000 + 12_000_000)
    assert got["checks"]["payee_is_beneficiary"]["passed"] is True
    (settled,) = published.query("SELECT amount FROM settlements WHERE claim_id = 'E15-H3'")
    assert settled["amount"] == 214_000_000


def test_no_heir_name_is_written_into_the_decision(published: Env) -> None:
    rows = published.query("SELECT decision::text AS d FROM claims WHERE claim_id LIKE 'E15-%'")
    text = " ".join(r["d"] for r in rows)
    assert "Siti" not in text and "Dewi" not in text and PAYEE_NAME not in text

"""The replay's payouts against the scenario's published figures: claims, Rupiah and the gap."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from simulator.model import Published


@dataclass(frozen=True, slots=True)
class PublishedRow:
    """One line: the published claims and amount (None: not published) against the replay's
    approved claims and settled amount."""

    label: str
    published_claims: int
    published_amount: int | None
    claims: int
    amount: int

    @property
    def gap(self) -> int | None:
        """Replayed less published, in Rupiah."""
        return None if self.published_amount is None else self.amount - self.published_amount

    @property
    def gap_percent(self) -> Decimal | None:
        """The gap as a percentage of the published amount, to 0.1, half up."""
        if self.gap is None or not self.published_amount:
            return None
        exact = Decimal(self.gap * 100) / Decimal(self.published_amount)
        return exact.quantize(Decimal("0.1"), ROUND_HALF_UP)


def published_rows(published: Published, s: dict[str, Any]) -> list[PublishedRow]:
    """Per program, then the programs the source gives no amount for together (the total less
    the amounts given), then the total. Replayed = approved claims and their settled amount."""
    approved = {r["program"]: r["n"] for r in s["claims"] if r["outcome"] == "APPROVED"}
    settled = {r["program"]: int(r["amount"]) for r in s["settled"]}
    rows = [
        PublishedRow(p, f.claims, f.amount, approved.get(p, 0), settled.get(p, 0))
        for p, f in published.programs.items()
    ]
    unpriced = [r for r in rows if r.published_amount is None]
    if unpriced:
        priced = sum(r.published_amount or 0 for r in rows)
        rows.append(
            PublishedRow(
                "+".join(r.label for r in unpriced),
                sum(r.published_claims for r in unpriced),
                published.total_amount - priced,
                sum(r.claims for r in unpriced),
                sum(r.amount for r in unpriced),
            )
        )
    rows.append(
        PublishedRow(
            "total",
            published.total_claims,
            published.total_amount,
            sum(approved.get(p, 0) for p in published.programs),
            sum(settled.get(p, 0) for p in published.programs),
        )
    )
    return rows


def rupiah(amount: int | None) -> str:
    if amount is None:
        return "—"
    return f"-Rp{-amount:,}" if amount < 0 else f"Rp{amount:,}"


def print_published(published: Published | None, s: dict[str, Any]) -> None:
    """The table `claims run` prints; nothing when the scenario has no published figures."""
    if published is None:
        return
    scale, source = published.scale, published.source
    print(f"\n== Payouts against the published figures (× {scale:g}; {source}) ==")
    print(
        f"  {'program':<12}{'published':>10}{'published amount':>22}{'approved':>10}"
        f"{'settled amount':>22}{'gap':>22}{'gap %':>8}"
    )
    for r in published_rows(published, s):
        pct = "—" if r.gap_percent is None else f"{r.gap_percent:+}"
        print(
            f"  {r.label:<12}{r.published_claims:>10,}{rupiah(r.published_amount):>22}"
            f"{r.claims:>10,}{rupiah(r.amount):>22}{rupiah(r.gap):>22}{pct:>8}"
        )
    print(
        "  published amounts scaled half up to whole Rupiah; approved = claims approved by the"
        " rules, settled amount = what their settlements pay"
    )

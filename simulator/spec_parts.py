"""Building blocks of the scenario specs: counts split and scaled, published figures at scale,
and a sponsor's fundings period by period."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from simulator import reference as ref
from simulator.contributions import amounts
from simulator.identity import add_months, add_years
from simulator.model import Cohort, Funding, Published, PublishedFigure


def split(total: int, weights: list[float]) -> list[int]:
    """total spread over weights by largest remainder, so the parts add up exactly."""
    raw = [total * w / sum(weights) for w in weights]
    parts = [int(r) for r in raw]
    for i in sorted(range(len(raw)), key=lambda i: parts[i] - raw[i])[: total - sum(parts)]:
        parts[i] += 1
    return parts


def scaled(n: int, scale: float) -> int:
    return max(1, round(n * scale))


def scaled_rupiah(amount: int, scale: float) -> int:
    """amount × scale in whole Rupiah, rounded half up (the scale as written, not its float)."""
    return int((Decimal(amount) * Decimal(str(scale))).to_integral_value(ROUND_HALF_UP))


def published(
    source: str,
    programs: dict[str, tuple[int, int | None]],
    total: tuple[int, int],
    scale: float,
) -> Published:
    """The published figures × scale: claims as the scenario scales them, amounts half up."""
    return Published(
        source,
        scale,
        {
            p: PublishedFigure(
                scaled(n, scale), None if amount is None else scaled_rupiah(amount, scale)
            )
            for p, (n, amount) in programs.items()
        },
        scaled(total[0], scale),
        scaled_rupiah(total[1], scale),
    )


def yearly(start: date, as_of: date) -> list[tuple[date, date]]:
    """Funding years from `start`, renewed each year up to the one containing `as_of`."""
    out, lo = [], start
    while lo <= as_of:
        hi = add_years(lo, 1)
        out.append((lo, date.fromordinal(hi.toordinal() - 1)))
        lo = hi
    return out


def fundings(
    cohort: Cohort, name: str, kind: str, periods: list[tuple[date, date]]
) -> tuple[Funding, ...]:
    """One SponsoredCohortFunded per period; the budget is the BPU package month by month."""
    assert cohort.sponsor_id is not None
    out = []
    for lo, hi in periods:
        budget, programs = 0, set[str]()
        month = lo
        while month <= hi:
            active = tuple(
                p
                for p in ("JKK", "JKM", "JHT")
                if (s := cohort.since(p, lo)) is not None and s <= month
            )
            programs.update(active)
            package = sum(
                a for _, a in amounts(cohort, active, ref.BPU_MIN_INCOME, month.year, month.month)
            )
            budget += package * cohort.count
            month = add_months(month, 1)
        ordered = tuple(p for p in ("JKK", "JKM", "JHT", "JP") if p in programs)
        out.append(
            Funding(
                cohort.sponsor_id,
                name,
                kind,
                cohort.cohort_id,
                lo,
                hi,
                ordered,
                cohort.count,
                budget,
            )
        )
    return tuple(out)

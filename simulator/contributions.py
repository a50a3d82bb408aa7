"""Monthly contribution amounts from the simulator's own rate table (see reference.py)."""

from __future__ import annotations

import math
from random import Random
from statistics import NormalDist

from simulator import reference as ref
from simulator.model import Cohort


def _pct(amount: int, basis_points: int) -> int:
    """amount × bp / 10,000, rounded half up to whole Rupiah, in integers only."""
    return (amount * basis_points + 5_000) // 10_000


_NORMAL = NormalDist()


def wage_permille(cohort: Cohort, rng: Random) -> int:
    """A person's wage level in ‰ of the UMP: PU log-normal above it (reference.py), BPU 1,000."""
    if cohort.wage_model != "ump-dki":
        return 1_000
    # One uniform draw through the inverse normal CDF, not lognormvariate (a variable number of
    # draws): every later draw of the pass stays where it was, so only the wages change.
    u = min(max(rng.random(), 1e-12), 1 - 1e-12)
    above = ref.PU_WAGE_ABOVE_UMP_MEDIAN * math.exp(
        ref.PU_WAGE_ABOVE_UMP_SIGMA * _NORMAL.inv_cdf(u)
    )
    step = ref.PU_WAGE_STEP_PERMILLE
    level = 1_000 + round(above * 1_000 / step) * step
    return min(ref.PU_WAGE_MAX_PERMILLE, level)


def monthly_wage(cohort: Cohort, wage_permille: int, year: int) -> int:
    """Declared wage (PU: near the Jakarta UMP of the year, rounded up to Rp1,000) or BPU income."""
    if cohort.wage_model == "bpu-min":
        return ref.BPU_MIN_INCOME
    ump = ref.UMP_DKI[min(max(year, min(ref.UMP_DKI)), max(ref.UMP_DKI))]
    return -(-ump * wage_permille // 1_000_000) * 1_000


def jp_cap(year: int, month: int) -> int:
    """JP wage cap for a contribution month: a new cap applies from March (PP 45/2015 Pasal 29)."""
    year = year if month >= 3 else year - 1
    return ref.JP_WAGE_CAP[min(max(year, min(ref.JP_WAGE_CAP)), max(ref.JP_WAGE_CAP))]


def amounts(
    cohort: Cohort, programs: tuple[str, ...], wage: int, year: int, month: int
) -> tuple[tuple[str, int], ...]:
    """(program, amount) for one month, PU (PP 44/45/46 2015) or BPU (PP 44/2015 Lampiran II)."""
    if cohort.category == "PU":
        risk = cohort.risk_class or 1
        return tuple((p, _pu_amount(p, wage, risk, year, month)) for p in programs)
    return tuple((p, _bpu_amount(p, wage)) for p in programs)


def _pu_amount(program: str, wage: int, risk_class: int, year: int, month: int) -> int:
    if program == "JKK":
        return _pct(wage, ref.PU_JKK_BP_BY_RISK_CLASS[risk_class])
    if program == "JKM":
        return _pct(wage, ref.PU_JKM_BP)
    if program == "JHT":
        return _pct(wage, ref.PU_JHT_BP)
    return _pct(min(wage, jp_cap(year, month)), ref.PU_JP_BP)


def _bpu_amount(program: str, income: int) -> int:
    if program == "JKK":
        return min(ref.BPU_JKK_MAX, max(ref.BPU_JKK_MIN, _pct(income, ref.BPU_JKK_BP)))
    if program == "JKM":
        return ref.BPU_JKM_FLAT
    return _pct(income, ref.BPU_JHT_BP)  # JHT; BPU cannot join JP

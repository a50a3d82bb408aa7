"""PU wage levels: never below the UMP, a long tail above it, capped; BPU at the declared income."""

from __future__ import annotations

import statistics
from random import Random

from simulator import build_scenario
from simulator.contributions import monthly_wage, wage_permille
from simulator.model import Cohort


def cohorts() -> dict[str, Cohort]:
    spec = build_scenario("jakarta-2016", seed=1, scale=0.01).spec
    return {c.category: c for c in spec.cohorts}


def test_pu_wage_levels_lie_between_the_ump_and_three_times_it_in_one_percent_steps() -> None:
    pu = cohorts()["PU"]
    rng = Random(7)
    levels = [wage_permille(pu, rng) for _ in range(20_000)]
    assert min(levels) >= 1_000 and max(levels) <= 3_000
    assert all(level % 10 == 0 for level in levels)
    # Median +15% and mean about +22% above the UMP (reference.py's assumption).
    assert 1_130 <= statistics.median(levels) <= 1_170
    assert 1_200 <= statistics.mean(levels) <= 1_245


def test_a_pu_wage_level_takes_one_random_draw() -> None:
    pu = cohorts()["PU"]
    rng, twin = Random(3), Random(3)
    wage_permille(pu, rng)
    twin.random()
    assert rng.random() == twin.random()


def test_bpu_income_is_the_declared_bracket_whatever_the_draw() -> None:
    bpu = cohorts()["BPU"]
    assert wage_permille(bpu, Random(1)) == 1_000
    assert monthly_wage(bpu, 1_000, 2024) == 1_000_000


def test_the_2016_wage_at_the_ump_is_the_ump() -> None:
    pu = cohorts()["PU"]
    assert monthly_wage(pu, 1_000, 2016) == 3_100_000
    assert monthly_wage(pu, 1_150, 2016) == 3_565_000

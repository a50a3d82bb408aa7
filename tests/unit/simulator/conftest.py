"""Shared fixtures: each scenario generated once at small scale."""

from __future__ import annotations

import pytest

from simulator import build_scenario

Events = list[tuple[str, str, str, dict]]


@pytest.fixture(scope="session")
def jakarta_small() -> tuple[object, Events]:
    scenario = build_scenario("jakarta-2016", seed=2016, scale=0.01)
    return scenario, list(scenario.events())


@pytest.fixture(scope="session", params=["kemensos-2024", "jambi-2025"])
def other_small(request: pytest.FixtureRequest) -> tuple[object, Events]:
    scenario = build_scenario(request.param, seed=7, scale=0.01)
    return scenario, list(scenario.events())

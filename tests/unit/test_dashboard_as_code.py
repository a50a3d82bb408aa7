"""The Grafana dashboard is generated (tools/grafana_dashboard.py, grafana-foundation-sdk): the
checked-in deploy/grafana/dashboards/claims.json is exactly what `make dashboards` writes."""

from __future__ import annotations

import json

from tools import grafana_dashboard


def test_the_checked_in_dashboard_is_the_generated_one() -> None:
    generated = grafana_dashboard.render(grafana_dashboard.build())
    checked_in = grafana_dashboard.OUT.read_text(encoding="utf-8")
    assert checked_in == generated, "run `make dashboards` and commit the result"


def test_the_generated_dashboard_has_unique_panel_ids_and_rows_in_order() -> None:
    board = json.loads(grafana_dashboard.render(grafana_dashboard.build()))
    ids = [panel["id"] for panel in board["panels"]]
    assert len(ids) == len(set(ids))
    rows = [p["title"] for p in board["panels"] if p["type"] == "row"]
    assert rows == [
        "Throughput per program",
        "Settlement and payment",
        "Contributions and employers",
        "Statutory deadlines",
        "Health",
    ]
    boxes = [p["gridPos"] for p in board["panels"]]
    assert [(b["y"], b["x"]) for b in boxes] == sorted((b["y"], b["x"]) for b in boxes)
    for i, a in enumerate(boxes):  # no two panels overlap, none leaves the 24-column grid
        assert a["x"] + a["w"] <= 24
        for b in boxes[i + 1 :]:
            apart = (
                a["x"] + a["w"] <= b["x"]
                or b["x"] + b["w"] <= a["x"]
                or a["y"] + a["h"] <= b["y"]
                or b["y"] + b["h"] <= a["y"]
            )
            assert apart, (a, b)


def test_the_dashboard_shows_the_dependency_gauge() -> None:
    board = json.loads(grafana_dashboard.render(grafana_dashboard.build()))
    exprs = [t["expr"] for p in board["panels"] for t in p.get("targets", [])]
    assert "min by (dependency) (claims_dependency_up)" in exprs

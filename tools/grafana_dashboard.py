"""The Grafana dashboard as code: `make dashboards` writes deploy/grafana/dashboards/claims.json.

Built with Grafana's own grafana-foundation-sdk (typed builders for Grafana 11.3, the version
deploy/compose.yaml serves), from the metric objects the service itself exports
(services/adapters/metrics.py): a renamed metric fails here, not silently in a panel.
tests/unit/test_dashboard_as_code.py regenerates the file and fails if the checked-in one differs.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

# `make dashboards` runs this file as a script: tools/ is then on the path, but not the repository
# root, from which the parts in tools/grafana/ are imported (as the tests import this module).
if not __package__:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from grafana_foundation_sdk.builders import dashboard
from grafana_foundation_sdk.cog.builder import Builder
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import dashboard as model

from tools.grafana.business import contributions, deadlines, settlement, throughput
from tools.grafana.health import health
from tools.grafana.panels import DATASOURCE, M, total

OUT = Path(__file__).resolve().parents[1] / "deploy" / "grafana" / "dashboards" / "claims.json"


def build() -> dashboard.Dashboard:
    program = (
        dashboard.QueryVariable("program")
        .label("Program")
        .datasource(DATASOURCE)
        .query(f"label_values({total(M.decisions)}, program)")
        .include_all(True)
        .multi(True)
        .all_value(".*")
        .refresh(model.VariableRefresh.ON_TIME_RANGE_CHANGED)
        .sort(model.VariableSort.ALPHABETICAL_ASC)
    )
    d = (
        dashboard.Dashboard("BPJS claims")
        .uid("bpjs-claims")
        .description(
            "Claims service: throughput, decisions, amounts, contributions and employers,"
            " deadlines, lag, dead letters, dependencies and database latency per program."
        )
        .tags(["bpjs", "claims"])
        .timezone("Asia/Jakarta")
        .readonly()
        .tooltip(model.DashboardCursorSync.CROSSHAIR)
        .refresh("30s")
        .time("now-6h", "now")
        .with_variable(program)
    )
    for section in (throughput, settlement, contributions, deadlines, health):
        d = section(d)
    return d


def render(board: Builder[model.Dashboard]) -> str:
    built = board.build()
    for number, panel in enumerate(built.panels or [], start=1):  # ids unique on the page
        panel.id_val = number
    return json.dumps(built, cls=JSONEncoder, indent=2, sort_keys=True) + "\n"


def main() -> int:
    text = render(build())
    if sys.argv[1:] == ["--check"]:
        return 0 if OUT.read_text(encoding="utf-8") == text else 1
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

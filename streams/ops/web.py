"""HTTP views on each worker's web server: GET /claims/{claim_id}, the `claims status` document,
and the health endpoints /livez and /readyz (streams/ops/health.py).

The web server listens on WEB_HOST (loopback by default). The document carries the participant
only by pseudonym (participant_ref), never the NIK, but it is still claim data: beyond loopback
the worker requires STATUS_TOKEN and every request but the probes and /metrics must carry it as
a bearer token (streams/ops/access.py).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Final

from services.errors import ServiceError
from streams.ops.health import install_health
from streams.ops.status import lookup, not_found, render

if TYPE_CHECKING:
    import faust

    from streams.pipeline import Pipeline

log = logging.getLogger(__name__)

CLAIM_PATH: Final = "/claims/{claim_id}"
JSON: Final = "application/json"


def install_web(app: faust.App, pipe: Pipeline) -> None:
    """Add the claim status view to the worker's web server."""

    async def claim_status(view: Any, request: Any, claim_id: str) -> Any:
        """A claim's state, decision with reasons, amounts, due date and payment, as JSON."""
        try:
            store = await pipe.resources.store()
            found = await lookup(store, claim_id)
        except ServiceError as e:  # the database is unavailable: say so, the caller retries
            log.warning("claim status %s: %s", claim_id, e, extra={"claim_id": claim_id})
            unavailable = {"claim_id": claim_id, "error": "database unavailable"}
            return view.bytes(render(unavailable).encode(), content_type=JSON, status=503)
        if found is None:
            return view.bytes(render(not_found(claim_id)).encode(), content_type=JSON, status=404)
        return view.bytes(render(found).encode(), content_type=JSON)

    app.page(CLAIM_PATH, name="claim-status")(claim_status)
    install_health(app, pipe)  # /livez and /readyz (streams/ops/health.py)

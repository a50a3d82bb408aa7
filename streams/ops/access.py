"""Bearer tokens on the worker's web server (an aiohttp middleware, so every route is covered).

- `/livez`, `/readyz`: always open. Probes carry no secret, and the answer holds no claim data.
- `/metrics`: open, as Prometheus expects, unless METRICS_TOKEN is set; then it needs
  `Authorization: Bearer <METRICS_TOKEN>` (Prometheus' scrape config: `authorization:
  {credentials_file: ...}`).
- Every other path (`/claims/{claim_id}`, Faust's own `/router`, `/table` and index pages, and
  any path that matches no route) needs `Authorization: Bearer <STATUS_TOKEN>` when STATUS_TOKEN
  is set. The worker refuses to start beyond loopback without it
  (services/config_secrets.py `require_status_token`); on loopback without it everything stays open.

Tokens are compared with hmac.compare_digest (constant time, whatever the token presented). A
missing or wrong token is a 401 with `WWW-Authenticate: Bearer` (RFC 6750); the token presented
is never logged or echoed.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Final, Literal

from aiohttp import web

from services.config import Settings
from services.config_secrets import require_status_token
from streams.ops.health import LIVEZ, READYZ

log = logging.getLogger(__name__)

METRICS: Final = "/metrics"
OPEN: Final = frozenset({LIVEZ, READYZ})
REALM: Final = "bpjs-claims"
Problem = Literal["missing", "invalid"]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Guard:
    """Which token each path needs (None: open)."""

    status_token: bytes | None
    metrics_token: bytes | None

    @classmethod
    def from_settings(cls, settings: Settings) -> Guard:
        require_status_token(settings)  # never serve claim data beyond loopback unguarded
        status, metrics = settings.status_token.value, settings.metrics_token.value
        return cls(status.encode() if status else None, metrics.encode() if metrics else None)

    @property
    def guards_anything(self) -> bool:
        return self.status_token is not None or self.metrics_token is not None

    def token_for(self, path: str) -> bytes | None:
        if path in OPEN:
            return None
        if path == METRICS:
            return self.metrics_token
        return self.status_token


def check_bearer(expected: bytes, authorization: str | None) -> Problem | None:
    """None when `authorization` is `Bearer <expected>`; else what is wrong with it."""
    scheme, _, credentials = (authorization or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        return "missing"
    presented = credentials.strip().encode("utf-8", "surrogateescape")
    return None if hmac.compare_digest(presented, expected) else "invalid"


def challenge(problem: Problem) -> str:
    """The WWW-Authenticate value of a 401 (RFC 6750 section 3)."""
    if problem == "missing":
        return f'Bearer realm="{REALM}"'
    return f'Bearer realm="{REALM}", error="invalid_token"'


def unauthorized(problem: Problem) -> web.Response:
    body = {"error": "unauthorized", "detail": f"{problem} bearer token"}
    return web.Response(
        text=json.dumps(body),
        status=401,
        content_type="application/json",
        headers={"WWW-Authenticate": challenge(problem)},
    )


def middleware(guard: Guard) -> Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]:
    @web.middleware
    async def require_bearer(request: web.Request, handler: Handler) -> web.StreamResponse:
        expected = guard.token_for(request.path)
        if expected is not None:
            problem = check_bearer(expected, request.headers.get("Authorization"))
            if problem is not None:
                log.debug("401 %s %s: %s bearer token", request.method, request.path, problem)
                return unauthorized(problem)
        return await handler(request)

    return require_bearer


def web_options(settings: Settings) -> dict[str, object]:
    """Faust's `web_application_options`: the token middleware when any token is set."""
    guard = Guard.from_settings(settings)
    return {"middlewares": [middleware(guard)]} if guard.guards_anything else {}

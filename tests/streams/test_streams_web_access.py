"""Bearer tokens on the worker's own web app (Faust's aiohttp application, as the worker serves it)
through a real HTTP server on loopback: STATUS_TOKEN guards claim data and Faust's pages,
METRICS_TOKEN guards /metrics only when set, the probes stay open.

The e2e tier repeats the main cases against a real `claims worker` bound beyond loopback
(tests/e2e/test_web_access.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from streams_support import KEY, MemoryStore, RecordingProducer

from services.config import ConfigError, load_settings
from services.sealing import DEMO_PUBLIC_KEY
from streams.app import build_app
from streams.ops.access import check_bearer

STATUS = "status-token-" + "s" * 24
METRICS = "metrics-token-" + "m" * 24
Client = Callable[..., Any]


def settings_for(tmp_path: Path, **env: str) -> Any:
    return load_settings(
        {
            "NIK_HASH_KEY": KEY,
            "DEAD_LETTER_PUBLIC_KEY": DEMO_PUBLIC_KEY,
            "CLAIMS_DATA_DIR": str(tmp_path / "faust"),
            **env,
        }
    )


@asynccontextmanager
async def served(tmp_path: Path, **env: str) -> AsyncIterator[TestClient[Any, Any]]:
    """The worker's web app (routes, blueprints, middlewares) on a loopback port."""
    app, pipe = build_app(
        settings_for(tmp_path, **env), store=MemoryStore(), producer=RecordingProducer()
    )
    await pipe.resources.start()
    web_app = await app.web.wsgi()  # Faust's own setup of the aiohttp application
    async with TestClient(TestServer(web_app)) as client:
        yield client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_claim_status_beyond_loopback_needs_the_status_token(tmp_path: Path) -> None:
    async with served(tmp_path, WEB_HOST="0.0.0.0", STATUS_TOKEN=STATUS) as client:
        missing = await client.get("/claims/C-1")
        assert missing.status == 401
        assert missing.headers["WWW-Authenticate"] == 'Bearer realm="bpjs-claims"'
        assert await missing.json() == {"error": "unauthorized", "detail": "missing bearer token"}

        wrong = await client.get("/claims/C-1", headers=bearer(STATUS[:-1] + "x"))
        assert wrong.status == 401
        assert wrong.headers["WWW-Authenticate"] == (
            'Bearer realm="bpjs-claims", error="invalid_token"'
        )
        assert STATUS not in await wrong.text()

        for header in ({"Authorization": STATUS}, {"Authorization": f"Basic {STATUS}"}):
            assert (await client.get("/claims/C-1", headers=header)).status == 401

        right = await client.get("/claims/C-1", headers=bearer(STATUS))
        assert right.status == 404  # through the guard: the memory store knows no C-1
        assert await right.json() == {"claim_id": "C-1", "error": "not found"}


async def test_faust_s_own_pages_and_unknown_paths_need_the_status_token_too(
    tmp_path: Path,
) -> None:
    async with served(tmp_path, WEB_HOST="0.0.0.0", STATUS_TOKEN=STATUS) as client:
        for path in ("/", "/router/", "/table/", "/nothing-here", "/metrics/"):
            assert (await client.get(path)).status == 401, path
        assert (await client.get("/router/", headers=bearer(STATUS))).status == 200


async def test_probes_and_metrics_stay_open_without_a_metrics_token(tmp_path: Path) -> None:
    async with served(tmp_path, WEB_HOST="0.0.0.0", STATUS_TOKEN=STATUS) as client:
        assert (await client.get("/livez")).status == 200
        assert (await client.get("/readyz")).status == 503  # open; not ready without Kafka
        metrics = await client.get("/metrics")
        assert metrics.status == 200
        assert "claims_" in await metrics.text()


async def test_a_metrics_token_guards_metrics_and_only_metrics(tmp_path: Path) -> None:
    env = {"WEB_HOST": "0.0.0.0", "STATUS_TOKEN": STATUS, "METRICS_TOKEN": METRICS}
    async with served(tmp_path, **env) as client:
        missing = await client.get("/metrics")
        assert missing.status == 401
        assert missing.headers["WWW-Authenticate"].startswith("Bearer ")
        assert (await client.get("/metrics", headers=bearer(STATUS))).status == 401
        assert (await client.get("/metrics", headers=bearer(METRICS))).status == 200
        assert (await client.get("/claims/C-1", headers=bearer(METRICS))).status == 401
        assert (await client.get("/livez")).status == 200


async def test_on_loopback_a_metrics_token_alone_leaves_claim_status_open(tmp_path: Path) -> None:
    async with served(tmp_path, METRICS_TOKEN=METRICS) as client:
        assert (await client.get("/claims/C-1")).status == 404
        assert (await client.get("/metrics")).status == 401


async def test_on_loopback_without_tokens_everything_stays_open_as_before(tmp_path: Path) -> None:
    async with served(tmp_path) as client:
        assert (await client.get("/claims/C-1")).status == 404
        assert (await client.get("/metrics")).status == 200
        assert (await client.get("/livez")).status == 200


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "10.1.2.3", "worker.internal"])
def test_the_app_is_not_built_beyond_loopback_without_a_status_token(
    tmp_path: Path, host: str
) -> None:
    with pytest.raises(ConfigError, match=r"^STATUS_TOKEN must be set when WEB_HOST="):
        build_app(settings_for(tmp_path, WEB_HOST=host), store=MemoryStore())


def test_tokens_are_compared_whole() -> None:
    token = STATUS.encode()
    assert check_bearer(token, f"Bearer {STATUS}") is None
    assert check_bearer(token, f"bearer  {STATUS} ") is None  # scheme is case-insensitive
    assert check_bearer(token, None) == "missing"
    assert check_bearer(token, "Bearer ") == "missing"
    assert check_bearer(token, f"Bearer {STATUS}x") == "invalid"
    assert check_bearer(token, f"Bearer {STATUS[:-1]}") == "invalid"
    assert check_bearer(token, "Bearer \udcff") == "invalid"  # undecodable bytes: no crash

"""A real `claims worker` bound beyond loopback (WEB_HOST=0.0.0.0) with STATUS_TOKEN and
METRICS_TOKEN: each path takes its own token, the probes none (streams/ops/access.py)."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest

from tests.e2e.conftest import Env

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

STATUS_TOKEN = "e2e-status-token-0123456789"
METRICS_TOKEN = "e2e-metrics-token-0123456789"
WORKER_ENV = {"WEB_HOST": "0.0.0.0", "STATUS_TOKEN": STATUS_TOKEN, "METRICS_TOKEN": METRICS_TOKEN}


def get(env: Env, path: str, token: str | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(f"http://127.0.0.1:{env.worker.port}{path}")
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def test_claim_status_needs_the_status_token(pipeline: Env) -> None:
    status, headers, body = get(pipeline, "/claims/NO-SUCH-CLAIM")
    assert status == 401
    assert headers["WWW-Authenticate"] == 'Bearer realm="bpjs-claims"'
    status, headers, _ = get(pipeline, "/claims/NO-SUCH-CLAIM", METRICS_TOKEN)
    assert status == 401
    assert 'error="invalid_token"' in headers["WWW-Authenticate"]
    status, _, body = get(pipeline, "/claims/NO-SUCH-CLAIM", STATUS_TOKEN)
    assert status == 404
    assert b'"not found"' in body


def test_metrics_need_the_metrics_token_once_it_is_set(pipeline: Env) -> None:
    assert get(pipeline, "/metrics")[0] == 401
    assert get(pipeline, "/metrics", STATUS_TOKEN)[0] == 401
    status, _, body = get(pipeline, "/metrics", METRICS_TOKEN)
    assert status == 200
    assert b"claims_" in body


def test_the_probes_stay_open(pipeline: Env) -> None:
    assert get(pipeline, "/livez")[0] == 200
    pipeline.wait_for("/readyz 200 without a token", lambda: get(pipeline, "/readyz")[0] == 200)


def test_no_token_shows_in_the_worker_log(pipeline: Env) -> None:
    log = pipeline.worker.log.read_text(errors="replace")
    assert STATUS_TOKEN not in log and METRICS_TOKEN not in log

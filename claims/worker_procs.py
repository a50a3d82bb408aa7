"""The worker processes of `claims run`: started with their own ports, logs and instance ids,
waited for until live, and stopped (SIGTERM to each process group, then SIGKILL after 30 s)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from services.config import Settings


def _port_free(host: str, port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex((host, port)) != 0


def start_workers(settings: Settings, n: int) -> list[subprocess.Popen[bytes]]:
    for i in range(n):
        if not _port_free(settings.web_host, settings.web_port + i):
            raise RuntimeError(
                f"port {settings.web_port + i} is in use (another worker still running?); "
                "stop it or set WEB_PORT to a free port"
            )
    procs = []
    log_dir = Path(".local")
    log_dir.mkdir(exist_ok=True)
    for i in range(n):
        env = dict(os.environ)
        env.pop("DEAD_LETTER_PRIVATE_KEYS", None)  # a worker refuses them (it never opens)
        env.update(
            {
                "NIK_HASH_KEY": settings.nik_hash_key.value,
                "DEAD_LETTER_PUBLIC_KEY": settings.dead_letter_public_key,
                "WEB_PORT": str(settings.web_port + i),
                "CLAIMS_DATA_DIR": str(settings.data_dir / f"worker-{i}"),
                # Static membership: worker i restarted rejoins as itself, without a rebalance.
                "WORKER_INSTANCE_ID": f"{settings.app_id}-worker-{i}",
                # The scenario replays 2016: the clock's month is not its payroll (the summary
                # runs the scenario's first payroll months itself, `claims payroll`'s way).
                "PAYROLL_TIMER": "false",
            }
        )
        with (log_dir / f"worker-{i}.log").open("ab") as log:
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-m", "claims.cli", "worker"],
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
        print(
            f"worker {i}: pid {procs[-1].pid}, metrics on "
            f"http://{settings.web_host}:{settings.web_port + i}/metrics, log .local/worker-{i}.log"
        )
    return procs


def wait_ready(
    settings: Settings, procs: list[subprocess.Popen[bytes]], timeout: float = 120
) -> None:
    deadline = time.monotonic() + timeout
    for i, proc in enumerate(procs):
        # /livez: open whatever METRICS_TOKEN and STATUS_TOKEN say (streams/ops/access.py).
        url = f"http://{settings.web_host}:{settings.web_port + i}/livez"
        while True:
            if proc.poll() is not None:
                raise RuntimeError(
                    f"worker {i} exited with {proc.returncode}; see .local/worker-{i}.log"
                )
            try:
                with urllib.request.urlopen(url, timeout=2) as r:  # our own loopback URL
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"worker {i} not ready after {timeout:.0f}s; see .local/worker-{i}.log"
                )
            time.sleep(0.5)


def stop_workers(procs: list[subprocess.Popen[bytes]]) -> None:
    for p in procs:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)

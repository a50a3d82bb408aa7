"""`claims worker` subprocesses for the e2e and fault tiers (as `claims run` starts them)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Worker:
    """One worker process; `start` returns once its HTTP endpoint answers."""

    env: dict[str, str]
    log: Path
    proc: subprocess.Popen[bytes] | None = None
    starts: int = 0
    started_at: float = 0.0  # time.monotonic() of the last start
    exits: list[int] = field(default_factory=list)  # return codes of exits we did not cause

    @property
    def port(self) -> int:
        return int(self.env["WEB_PORT"])

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self, timeout: float = 120, *, wait: bool = True) -> None:
        self.starts += 1
        with self.log.open("ab") as out:  # the child keeps its own copy of the descriptor
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "claims.cli", "worker"],
                env=self.env,
                cwd=REPO,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.started_at = time.monotonic()
        if wait:
            self.wait_ready(timeout)

    def wait_ready(self, timeout: float = 120) -> None:
        assert self.proc is not None
        url = f"http://127.0.0.1:{self.port}/livez"  # open whatever tokens are set
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"worker exited {self.proc.returncode}:\n{self.tail()}")
            try:
                with urllib.request.urlopen(url, timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        raise AssertionError(f"worker not ready after {timeout}s:\n{self.tail()}")

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def send_signal(self, sig: int) -> None:
        assert self.proc is not None
        os.killpg(self.proc.pid, sig)

    def kill(self, sig: int = signal.SIGKILL) -> None:
        assert self.proc is not None
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)
        self.proc.wait(timeout=60)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGCONT)  # a stopped process cannot handle SIGTERM
            try:
                self.kill(signal.SIGTERM)
            except subprocess.TimeoutExpired:
                self.kill(signal.SIGKILL)

    def rss_bytes(self) -> int:
        """Resident memory of the worker process now (VmRSS), 0 once it has exited."""
        try:
            status = Path(f"/proc/{self.pid}/status").read_text()
        except OSError:
            return 0
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        return 0

    def metrics(self) -> str:
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}/metrics")
        if self.env.get("METRICS_TOKEN"):
            request.add_header("Authorization", f"Bearer {self.env['METRICS_TOKEN']}")
        with urllib.request.urlopen(request, timeout=5) as r:
            return str(r.read().decode())

    def tail(self, n: int = 60) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])

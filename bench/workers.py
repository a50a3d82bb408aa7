"""The round's worker processes: `python -m claims.cli worker` started, watched and stopped."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path

from harness import ROOT, prefix

from services.config import ROLE_VARS, Settings


@dataclass
class Worker:
    """One `python -m claims.cli worker` process, as `claims run` starts it."""

    settings: Settings
    proc: subprocess.Popen[bytes]
    log: Path

    @classmethod
    def start(cls, settings: Settings, index: int = 0) -> Worker:
        """Worker `index` of the round: its own web port and data dir, the round's group."""
        settings = replace(settings, web_port=settings.web_port + index)
        log = ROOT / settings.data_dir / f"{settings.app_id}-{index}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ) | {
            "NIK_HASH_KEY": settings.nik_hash_key.value,
            "DEAD_LETTER_PUBLIC_KEY": settings.dead_letter_public_key,
            "DEAD_LETTER_PRIVATE_KEYS": "",  # a worker refuses the keys that open dead letters
            "WEB_PORT": str(settings.web_port),
            "CLAIMS_DATA_DIR": str(settings.data_dir / settings.app_id / str(index)),
            "CLAIMS_APP_ID": settings.app_id,
            "KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
            "DATABASE_URL": settings.dsn,
            "TOPIC_PREFIX": prefix(settings),
        }
        # The worker as its own role when it has one (prepare() migrated as the owner), on the
        # round's schema; never a role URL of another schema inherited from the environment.
        for role, var in ROLE_VARS.items():
            if role == "owner":
                continue
            if settings.has_own_dsn(role):
                env[var] = settings.dsn_for(role)
            else:
                env.pop(var, None)
        with log.open("ab") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "claims.cli", "worker"],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return cls(settings, proc, log)

    def wait_ready(self, timeout: float = 120.0) -> None:
        url = f"http://{self.settings.web_host}:{self.settings.web_port}/metrics"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check()
            try:
                with urllib.request.urlopen(url, timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"worker not ready after {timeout:.0f}s; see {self.log}")

    def check(self) -> None:
        if self.proc.poll() is not None:
            raise RuntimeError(f"worker exited with {self.proc.returncode}; see {self.log}")

    def peak_rss_mib(self) -> float:
        """VmHWM: the resident set's high-water mark since the process started."""
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def cpu_seconds(self) -> float:
        """User + system CPU the process has used so far (from /proc, in clock ticks)."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


def worker_count() -> int:
    """Worker processes per round (env BENCH_WORKERS, default 1), as `claims run --workers`."""
    return max(1, int(os.environ.get("BENCH_WORKERS", "1")))


@dataclass
class Fleet:
    """The round's worker processes, one consumer group; each worker is one Python process."""

    workers: list[Worker]

    @classmethod
    def start(cls, settings: Settings, n: int) -> Fleet:
        return cls([Worker.start(settings, i) for i in range(n)])

    @property
    def proc(self) -> subprocess.Popen[bytes]:
        return self.workers[0].proc

    @property
    def log(self) -> Path:
        return self.workers[0].log

    def wait_ready(self, timeout: float = 120.0) -> None:
        for w in self.workers:
            w.wait_ready(timeout)

    def check(self) -> None:
        for w in self.workers:
            w.check()

    def peak_rss_mib(self) -> float:
        """The largest worker's high-water mark (each worker is a separate process)."""
        return max(w.peak_rss_mib() for w in self.workers)

    def cpu_seconds(self) -> float:
        return sum(w.cpu_seconds() for w in self.workers)

    def stop(self) -> None:
        for w in self.workers:
            w.stop()


async def wait_until(
    done: Callable[[], Awaitable[bool]], worker: Worker | Fleet, timeout: float, every: float = 0.25
) -> None:
    """Poll `done` until true; fail when the worker dies or the timeout passes."""
    deadline = time.monotonic() + timeout
    while not await done():
        worker.check()
        if time.monotonic() > deadline:
            raise TimeoutError(f"not done after {timeout:.0f}s; see {worker.log}")
        await asyncio.sleep(every)

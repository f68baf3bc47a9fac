"""A real Procrastinate worker process against the test database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import psycopg

from tests.support.eventually import eventually


def database_url(settings_dict: dict) -> str:
    host = settings_dict.get("HOST") or ""
    port = settings_dict.get("PORT") or ""
    user = quote(settings_dict.get("USER") or "")
    password = quote(settings_dict.get("PASSWORD") or "")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    netloc = quote(host, safe="") if host.startswith("/") else host + (f":{port}" if port else "")
    return f"postgresql://{auth}{netloc}/{settings_dict['NAME']}"


def engine_env(venue_url: str) -> dict[str, str]:
    """A worker's environment for bots on the simulated exchange at `venue_url`."""
    return {"BYBIT_API_URL": venue_url, "OKX_API_URL": venue_url, "PAPER_VENUE_URL": venue_url,
            "EGRESS_IPS": "127.0.0.1",
            # engine steps every second of market time in tests
            "ENGINE_STEP_SECONDS": "1", "WORKER_POLL_SECONDS": "0.1",
            # the simulated exchange's limits are raised in tests (venue.client.RAISED_LIMITS):
            # each account's client-side pacing is raised with them
            "EXCHANGE_ACCOUNT_RATE_SCALE": "20"}


class WorkerProcess:
    def __init__(self, *, db_settings: dict | None = None, smtp_port: int, log_path: Path,
                 extra_env: dict | None = None, queues: str = "", concurrency: int = 2, url: str | None = None):
        """On the database of `db_settings` (Django's), or at `url`."""
        self.log_path = log_path
        self.queues, self.concurrency = queues, concurrency
        self.env = dict(os.environ)
        self.env.update({
            "DATABASE_URL": url or database_url(db_settings),
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(smtp_port),
            "LOG_LEVEL": "DEBUG",
            "PROCRASTINATE_LOG_LEVEL": "INFO",
            # find a dead worker's jobs within seconds, not the production half-minute
            "WORKER_HEARTBEAT_SECONDS": "1",
            "STALLED_WORKER_SECONDS": "10",
            # a failed delivery is retried within seconds here (30 s doubling in production)
            "EMAIL_RETRY_BASE_SECONDS": "1",
            "STALLED_SCAN_CRON": "* * * * * */2",
            **(extra_env or {}),
        })
        self.proc: subprocess.Popen | None = None

    def _last_registered(self) -> int:
        """The newest row of procrastinate_workers (each worker adds one as it starts)."""
        with psycopg.connect(self.env["DATABASE_URL"], autocommit=True) as conn:
            return conn.execute("SELECT coalesce(max(id), 0) FROM procrastinate_workers").fetchone()[0]

    def start(self, timeout: float = 60.0) -> WorkerProcess:
        before = self._last_registered()
        self.log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "sequence.cli", "procrastinate", "worker", "--concurrency", str(self.concurrency),
             f"--queues={self.queues}"],
            env=self.env, stdout=self.log, stderr=subprocess.STDOUT,
        )
        # ready once it has registered (it then takes jobs); a crash at start ends the wait too
        eventually(lambda: self.proc.poll() is not None or self._last_registered() > before,
                   timeout=timeout, interval=0.1, what="the worker to register")
        if self.proc.poll() is not None:
            raise RuntimeError(f"worker exited at start:\n{self.log_path.read_text()[-3000:]}")
        return self

    def kill(self) -> None:
        """kill -9: no clean shutdown, jobs in flight stay 'doing'."""
        self.proc.kill()
        self.proc.wait(10)
        self.log.close()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()

    def output(self) -> str:
        self.log.flush()
        return self.log_path.read_text(errors="replace")

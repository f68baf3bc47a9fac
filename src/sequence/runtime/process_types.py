"""The platform's process types and the command line of each (README, "Processes").

In production run each type as its own service, as many of each as needed,
all on one DATABASE_URL; `sequence run` starts one of each for the demo.

- web: gunicorn serving `sequence.config.wsgi`. Defers jobs inside its
  transactions; holds only the vault's public key.
- worker: a Procrastinate worker on every queue: "emails", "verification",
  "housekeeping" (the periodic jobs) and "engine" (the trading engine's bot
  steps). A worker restricted with --queues / PROCRASTINATE_WORKER_QUEUES must
  leave every queue served by some worker, "engine" above all, or bots stop.
- venue: the simulated exchange (`sequence venue serve`, Bybit and OKX
  protocols), a platform process for paper trading and the demo. It replays
  the candle file given; PAPER_VENUE_FEED=live:bybit in its environment (which
  `sequence run` and the systemd unit pass on) prices it live from the real
  exchange's public market data instead, at speed 1 (`sequence.venue.live_ccxt`).

`smtp_sink` is the demo's stand-in for a mail server, not a platform process.
"""

from __future__ import annotations

from pathlib import Path

from sequence.config.access_log import GUNICORN_LOGGER

# Every queue: an empty --queues means all of them and, given on the command
# line, it overrides a PROCRASTINATE_WORKER_QUEUES left in the environment.
ALL_QUEUES = "--queues="


def sequence(python: str, *args: str) -> list[str]:
    return [python, "-m", "sequence.cli", *args]


def web(python: str, port: int) -> list[str]:
    return [str(Path(python).with_name("gunicorn")), "sequence.config.wsgi",
            "--bind", f"127.0.0.1:{port}", "--workers", "2", "--threads", "4",
            "--access-logfile", "-", "--log-level", "warning",
            "--logger-class", GUNICORN_LOGGER]  # access lines without password-reset tokens


def worker(python: str) -> list[str]:
    return sequence(python, "procrastinate", "worker", ALL_QUEUES)


def venue(python: str, port: int, candles: Path, state: Path, speed: int = 10) -> list[str]:
    return sequence(python, "venue", "serve", "--port", str(port), "--candles", str(candles),
                    "--speed", str(speed), "--state", str(state))


def smtp_sink(python: str, port: int, maildir: Path) -> list[str]:
    return [python, "-m", "sequence.runtime.smtp_sink", "--port", str(port), "--maildir", str(maildir)]

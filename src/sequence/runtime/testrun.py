"""`sequence test [pytest args]`: the suite against real PostgreSQL.

With DATABASE_URL set, pytest-django creates its test database on that
server. Without it, a throwaway embedded cluster is started for this run and
deleted afterwards.
"""

from __future__ import annotations

import base64
import os
import secrets
import subprocess
import sys

from sequence.runtime import embedded_pg


def main(argv: list[str]) -> int:
    env = dict(os.environ)
    # Tests talk plain HTTP to a local server and read static files without a build step.
    env.setdefault("SECURE_COOKIES", "0")
    env.setdefault("SECURE_SSL_REDIRECT", "0")
    env.setdefault("STATIC_MANIFEST", "0")
    # The test databases are thrown away: their commits need not wait for the WAL to reach the
    # disk (every test's flush and every worker's job is a commit). Per connection, so a server
    # at DATABASE_URL keeps its own setting for everything else.
    env.setdefault("PGOPTIONS", "-c synchronous_commit=off")
    # Not the demo, so the secrets must come from the environment: fresh ones for each run.
    env.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    env.setdefault("FIELD_ENCRYPTION_KEY", "k1:" + base64.b64encode(secrets.token_bytes(32)).decode())
    server = None
    if not env.get("DATABASE_URL"):
        try:
            server = embedded_pg.throwaway()
        except embedded_pg.DatabaseStartError as exc:
            print(exc, file=sys.stderr)
            return 2
        embedded_pg.ensure_database(server, "sequence")
        env["DATABASE_URL"] = embedded_pg.socket_url(server, "sequence")
    try:
        code = subprocess.call([sys.executable, "-m", "pytest", *argv], env=env)
    finally:
        if server is not None:
            server.cleanup()
    # pytest exits 5 when it collected nothing: that is a failure of the suite, say so.
    if code == 5:
        print("pytest collected no tests", file=sys.stderr)
    return code

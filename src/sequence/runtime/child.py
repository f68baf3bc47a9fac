"""`python -m sequence.runtime.child --parent PID -- CMD...`: run CMD, and die with PID.

`sequence run` starts every child through this launcher so that killing the
supervisor, even with kill -9, takes its children (and theirs) down with it:

- on Linux the launcher asks the kernel for SIGTERM when its parent dies
  (prctl PR_SET_PDEATHSIG), and gives CMD the same request against itself, so
  CMD also goes when the launcher is killed;
- everywhere, the launcher polls its parent pid (twice a second) and treats a
  change as the parent's death: the portable fallback, and the safety net if
  the parent died before the request was made.

Either way the launcher stops CMD as a stop from the supervisor does: SIGTERM,
GRACE_SECONDS to finish (a worker ends its jobs, the venue saves its state),
then SIGKILL to the whole process group, grandchildren (gunicorn's workers)
included. The launcher leads that group: the supervisor starts it in a new
session. When CMD ends by itself the launcher ends the same way (its exit code,
or its signal), so the supervisor's log names what really happened to CMD.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time

GRACE_SECONDS = 10.0
POLL_SECONDS = 0.5
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def die_with_parent(sig: int = signal.SIGTERM) -> bool:
    """Ask the kernel to send `sig` to this process when its parent dies (Linux only)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, sig, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def launcher_command(parent: int, cmd: list[str]) -> list[str]:
    """The command line that runs `cmd` under the launcher, tied to `parent`."""
    return [sys.executable, "-m", "sequence.runtime.child", "--parent", str(parent), "--", *cmd]


class Launcher:
    def __init__(self, parent: int, cmd: list[str], *, pdeathsig: bool = True,
                 grace: float = GRACE_SECONDS) -> None:
        self.parent = parent
        self.cmd = cmd
        self.pdeathsig = pdeathsig
        self.grace = grace
        self.stop_requested = False
        self.proc: subprocess.Popen | None = None

    def parent_alive(self) -> bool:
        # Once reparented (to init or a subreaper) our ppid is no longer the one we were given.
        return os.getppid() == self.parent

    def _request(self, *_):
        self.stop_requested = True

    def run(self) -> int:
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, self._request)
        if self.pdeathsig:
            die_with_parent()
        if not self.parent_alive():  # it died before (or while) we asked
            return 1
        launcher = os.getpid()

        def tie_to_launcher():
            if self.pdeathsig:
                die_with_parent()
            if os.getppid() != launcher:
                os._exit(1)

        try:
            # preexec_fn is safe here: the launcher has no other thread
            self.proc = subprocess.Popen(self.cmd, preexec_fn=tie_to_launcher)
        except OSError as exc:
            print(f"sequence run: cannot start {self.cmd[0]}: {exc}", file=sys.stderr)
            return 127
        while True:
            if self.stop_requested or not self.parent_alive():
                return self.stop()
            try:
                code = self.proc.wait(POLL_SECONDS)
            except subprocess.TimeoutExpired:
                continue
            self.sweep_group()
            return code

    def stop(self) -> int:
        """SIGTERM to the command, SIGKILL to the whole group after the grace period."""
        assert self.proc is not None
        with contextlib.suppress(ProcessLookupError):
            self.proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + self.grace
        while time.monotonic() < deadline:
            try:
                code = self.proc.wait(POLL_SECONDS)
            except subprocess.TimeoutExpired:
                continue
            self.sweep_group()
            return code
        print(f"sequence run: {self.cmd[0]} ignored SIGTERM for {self.grace:g} s; killing it",
              file=sys.stderr, flush=True)
        if os.getpgrp() == os.getpid():
            os.killpg(os.getpgrp(), signal.SIGKILL)  # ourselves too: nothing of the group is left
        self.proc.kill()
        return self.proc.wait()

    def sweep_group(self) -> None:
        """The command is gone; what it left in our group (orphaned grandchildren) goes too."""
        if os.getpgrp() != os.getpid():
            return  # not our group to sweep (started from a shell, not by the supervisor)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(os.getpgrp(), signal.SIGTERM)


def exit_like(code: int) -> None:
    """Exit with `code`, or die of the same signal when the command died of one."""
    if code < 0:
        sig = -code
        sys.stdout.flush()
        sys.stderr.flush()
        with contextlib.suppress(OSError, ValueError):  # SIGKILL and SIGSTOP have no handler to reset
            signal.signal(sig, signal.SIG_DFL)
        os.kill(os.getpid(), sig)
        code = 128 + sig  # a signal whose default action does not end the process
    sys.exit(code)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m sequence.runtime.child",
                                     description="Run a command that dies with the given parent process.")
    parser.add_argument("--parent", type=int, required=True, help="pid of the supervising process")
    parser.add_argument("--no-pdeathsig", action="store_true",
                        help="rely on the portable parent-pid poll only (how non-Linux systems run; for tests)")
    parser.add_argument("--grace", type=float, default=GRACE_SECONDS,
                        help="seconds the command has to stop after SIGTERM (default %(default)s)")
    parser.add_argument("cmd", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    cmd = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
    if not cmd:
        parser.error("no command given")
    exit_like(Launcher(args.parent, cmd, pdeathsig=not args.no_pdeathsig, grace=args.grace).run())


if __name__ == "__main__":
    main()

"""The children of `sequence run`, supervised like a process manager.

Every child runs under the launcher (`sequence.runtime.child`), in a session of
its own so that Ctrl-C reaches only the supervisor, which then stops them in
order. A child that exits for any reason is started again, with a log line
naming it, how it ended and its restart count. Restarts back off (0.5 s,
doubling up to 10 s) so that a crash loop does not spin; a child that had run
for a minute counts as healthy again and its next restart is quick.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sequence.runtime.child import GRACE_SECONDS, launcher_command

RESTART_BASE_SECONDS = 0.5
RESTART_MAX_SECONDS = 10.0
HEALTHY_AFTER_SECONDS = 60.0


def restart_delay(previous: float | None, lived: float, *, base: float = RESTART_BASE_SECONDS,
                  cap: float = RESTART_MAX_SECONDS, healthy_after: float = HEALTHY_AFTER_SECONDS) -> float:
    """How long to wait before restarting a child that ran `lived` seconds this time."""
    if previous is None or lived >= healthy_after:
        return base
    return min(previous * 2, cap)


def describe_exit(code: int) -> str:
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"exit code {code} (killed by {name})"
    return f"exit code {code}"


def stderr_log(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


@dataclass
class Child:
    name: str
    cmd: list[str]
    env: dict
    proc: subprocess.Popen | None = None
    started_at: float = 0.0
    restarts: int = 0
    delay: float | None = None  # the back-off used for the last restart
    restart_at: float | None = None  # set while the child is down, waiting for its restart
    history: list[int] = field(default_factory=list)  # exit codes, oldest first

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc and self.restart_at is None else None


class Children:
    def __init__(self, *, clock: Callable[[], float] = time.monotonic, log: Callable[[str], None] = stderr_log,
                 base: float = RESTART_BASE_SECONDS, cap: float = RESTART_MAX_SECONDS,
                 healthy_after: float = HEALTHY_AFTER_SECONDS) -> None:
        self.children: dict[str, Child] = {}
        self.clock = clock
        self.log = log
        self.backoff = dict(base=base, cap=cap, healthy_after=healthy_after)

    def start(self, name: str, cmd: list[str], env: dict) -> Child:
        child = self.children[name] = Child(name, cmd, env)
        self._spawn(child)
        return child

    def _spawn(self, child: Child) -> None:
        child.proc = subprocess.Popen(launcher_command(os.getpid(), child.cmd), env=child.env,
                                      start_new_session=True)
        child.started_at = self.clock()

    def tick(self) -> None:
        """Notice the children that ended and restart those whose back-off is over."""
        now = self.clock()
        for child in self.children.values():
            if child.restart_at is not None:
                if now >= child.restart_at:
                    child.restart_at = None
                    child.restarts += 1
                    self._spawn(child)
                    self.log(f"sequence run: {child.name} restarted (pid {child.proc.pid}, restart {child.restarts})")
                continue
            code = child.proc.poll()
            if code is None:
                continue
            # The launcher sweeps its group; this catches what a launcher killed with -9 left behind.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(child.proc.pid, signal.SIGTERM)
            lived = now - child.started_at
            child.history.append(code)
            child.delay = restart_delay(child.delay, lived, **self.backoff)
            child.restart_at = now + child.delay
            self.log(f"sequence run: the {child.name} process (pid {child.proc.pid}) stopped with "
                     f"{describe_exit(code)} after {lived:.1f} s; restart {child.restarts + 1} "
                     f"in {child.delay:.1f} s")

    def stop(self) -> None:
        """SIGTERM to every launcher (each stops its command), SIGKILL to the groups that outstay it."""
        running = [c.proc for c in self.children.values() if c.proc and c.restart_at is None]
        for child in self.children.values():
            child.restart_at = None
        for proc in running:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + GRACE_SECONDS + 5
        for proc in running:
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()

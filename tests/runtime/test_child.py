"""The launcher of `sequence run`'s children (sequence.runtime.child), with real processes:
it passes on how its command ended, and when its parent dies (kill -9) its command and the
command's own children go too, by PR_SET_PDEATHSIG and by the portable parent-pid poll."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import psutil
import pytest

from sequence.runtime.child import launcher_command
from tests.runtime.polling import alive, wait_until

# A command with a grandchild in its process group, as gunicorn has its workers.
FAMILY = ["sh", "-c", "sleep 300 & sleep 300"]


def launch(cmd: list[str], *extra: str) -> subprocess.Popen:
    full = launcher_command(os.getpid(), cmd)
    full[full.index("--"):full.index("--")] = list(extra)
    return subprocess.Popen(full, start_new_session=True)


def test_the_launcher_ends_as_its_command_did():
    assert launch(["sh", "-c", "exit 3"]).wait(30) == 3
    assert launch(["sh", "-c", "kill -9 $$"]).wait(30) == -signal.SIGKILL
    assert launch(["sh", "-c", "kill -TERM $$"]).wait(30) == -signal.SIGTERM


def test_a_command_that_cannot_start_is_reported(capfd):
    assert launch(["/nonexistent/command"]).wait(30) == 127
    # the operator's error message for a bad command line (a CLI's output, not a log line)
    assert "cannot start /nonexistent/command" in capfd.readouterr().err


def descendants_when(parent: psutil.Process, count: int) -> list[psutil.Process]:
    return wait_until(lambda: len(found := parent.children(recursive=True)) >= count and found,
                      30, f"{count} descendants of {parent.pid}")


@pytest.mark.parametrize("mode", ["pdeathsig", "parent-pid poll"])
def test_parent_killed_with_9_takes_command_and_grandchildren(mode):
    if mode == "pdeathsig" and not sys.platform.startswith("linux"):
        pytest.skip("PR_SET_PDEATHSIG is Linux's")
    extra = [] if mode == "pdeathsig" else ["--no-pdeathsig"]
    # a stand-in for `sequence run`: starts one launched child and waits
    parent_code = textwrap.dedent(f"""
        import os, subprocess, time
        from sequence.runtime.child import launcher_command
        cmd = launcher_command(os.getpid(), {FAMILY!r})
        cmd[cmd.index("--"):cmd.index("--")] = {extra!r}
        subprocess.Popen(cmd, start_new_session=True)
        time.sleep(300)  # stays up until the test kills it: the kill is what is under test
    """)
    parent = psutil.Process(subprocess.Popen([sys.executable, "-c", parent_code]).pid)
    family = descendants_when(parent, 4)  # launcher, sh, two sleeps
    parent.kill()
    parent.wait(10)
    try:
        # the poll runs twice a second and the command has GRACE_SECONDS to stop
        wait_until(lambda: not alive(family), 15, "the launcher and its command's family to go")
    finally:
        for proc in alive(family):
            proc.kill()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_launcher_killed_with_9_takes_its_command():
    launcher = psutil.Process(launch(["sleep", "300"]).pid)
    command = descendants_when(launcher, 1)[0]
    launcher.kill()
    try:
        wait_until(lambda: not alive([command]), 10, "the command of a killed launcher to go")
    finally:
        for proc in alive([command]):
            proc.kill()


def test_sigterm_stops_the_command_and_sweeps_its_group():
    proc = launch(FAMILY)
    family = descendants_when(psutil.Process(proc.pid), 3)
    proc.send_signal(signal.SIGTERM)
    proc.wait(15)
    wait_until(lambda: not alive(family), 10, "the command's family to go after SIGTERM")


def test_a_command_that_ignores_sigterm_is_killed_with_its_group_after_the_grace():
    # SIG_IGN is inherited: neither sh nor its sleeps can be stopped by SIGTERM
    proc = launch(["sh", "-c", "trap '' TERM; sleep 300 & sleep 300"], "--grace", "0.5")
    family = descendants_when(psutil.Process(proc.pid), 3)
    termed = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(15) == -signal.SIGKILL
    assert time.monotonic() - termed >= 0.5  # SIGKILL only once the grace had run out
    wait_until(lambda: not alive(family), 10, "the group to be killed")

"""`sequence run`'s supervision (sequence.runtime.children) with real child processes and a
manual clock for the back-off: a child that ends is restarted with a log line naming it, how it
ended and the restart count; restarts back off 0.5 s doubling to 10 s and a child that ran a
minute restarts quickly again; stop() leaves nothing running."""

from __future__ import annotations

import os

import psutil
import pytest

from sequence.core.clock import ManualClock
from sequence.runtime.children import Children
from tests.runtime.polling import alive, wait_until


@pytest.fixture
def supervised():
    clock, lines = ManualClock(), []
    children = Children(clock=clock.monotonic, log=lines.append)
    yield children, clock, lines
    children.stop()


def ended(child) -> bool:
    return child.proc.poll() is not None


def command_of(child) -> psutil.Process:
    """The command under the child's launcher."""
    return wait_until(lambda: psutil.Process(child.pid).children(), 30, f"{child.name}'s command")[0]


def test_a_crash_loop_backs_off_doubling_to_the_cap(supervised):
    children, clock, lines = supervised
    child = children.start("crasher", ["sh", "-c", "exit 3"], dict(os.environ))
    delays = []
    for restart in range(1, 8):
        wait_until(lambda: ended(child), 30, "the crasher to exit")
        children.tick()
        delays.append(child.delay)
        assert child.pid is None  # down, waiting for its back-off
        assert lines[-1].startswith(f"sequence run: the crasher process (pid {child.proc.pid}) stopped with "
                                    f"exit code 3 after 0.0 s; restart {restart} in {child.delay:.1f} s")
        before = child.proc.pid
        clock.advance(int(child.delay * 1000) - 1)
        children.tick()
        assert child.pid is None, "restarted before its back-off was over"
        clock.advance(1)
        children.tick()
        assert child.pid not in (None, before)
        assert lines[-1] == f"sequence run: crasher restarted (pid {child.pid}, restart {restart})"
    assert delays == [0.5, 1.0, 2.0, 4.0, 8.0, 10.0, 10.0]
    assert child.history == [3] * 7


def test_a_child_that_ran_a_minute_restarts_quickly_again(supervised):
    children, clock, lines = supervised
    child = children.start("sleeper", ["sleep", "300"], dict(os.environ))
    for _ in range(3):  # three quick deaths: the back-off has grown to 2 s
        command_of(child).kill()
        wait_until(lambda: ended(child), 30, "the sleeper to die")
        children.tick()
        clock.advance(int(child.delay * 1000))
        children.tick()
    assert child.delay == 2.0
    clock.advance(60_000)
    command_of(child).kill()
    wait_until(lambda: ended(child), 30, "the sleeper to die")
    children.tick()
    assert child.delay == 0.5
    assert "stopped with exit code -9 (killed by SIGKILL) after 60.0 s; restart 4 in 0.5 s" in lines[-1]


def test_stop_leaves_nothing_running(supervised):
    children, _clock, _lines = supervised
    launchers = [psutil.Process(children.start(name, ["sh", "-c", "sleep 300 & sleep 300"],
                                               dict(os.environ)).pid) for name in ("a", "b")]
    family = [*launchers]
    for launcher in launchers:
        family += wait_until(lambda parent=launcher: len(found := parent.children(recursive=True)) >= 3 and found,
                             30, "a child's family")
    children.stop()
    assert not alive(family)

"""`sequence run` supervises like a process manager, with real processes: the worker killed
with kill -9 is restarted (logged, new pid) and the new one serves the "engine" queue while the
web still answers; `sequence run` itself killed with kill -9 takes every child, grandchild and
its embedded PostgreSQL with it, and frees its ports."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
import urllib.request
import uuid

import psutil
import psycopg
import pytest

from sequence.runtime import embedded_pg
from tests.e2e.test_make_run import Demo
from tests.runtime.polling import alive, port_free, wait_until

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    demo = Demo(tmp_path_factory.mktemp("supervision") / "var")
    demo.start(timeout=180)
    yield demo
    if demo.proc.poll() is None:
        demo.stop()
    for proc in alive(psutil.Process().children(recursive=True)):
        proc.kill()  # whatever a failed test left behind


def descendants(demo: Demo) -> list[psutil.Process]:
    return alive(psutil.Process(demo.proc.pid).children(recursive=True))


def commands(demo: Demo, marker: str) -> list[psutil.Process]:
    """The processes run under a launcher whose command line holds `marker` (not the launchers)."""
    found = []
    for proc in descendants(demo):
        with contextlib.suppress(psutil.NoSuchProcess):
            if (marker in " ".join(proc.cmdline()) and proc.parent()
                    and "sequence.runtime.child" in " ".join(proc.parent().cmdline())):
                found.append(proc)
    return found


def worker_commands(demo: Demo) -> list[psutil.Process]:
    return commands(demo, "procrastinate worker")


def serves_home(demo: Demo) -> bool:
    try:
        with urllib.request.urlopen(demo.url + "/", timeout=5) as response:  # noqa: S310 - loopback
            return response.status == 200
    except OSError:
        return False


def engine_job_done(demo: Demo) -> str:
    """Defer a real job onto the "engine" queue from the command line; wait for a worker to run it."""
    database = embedded_pg.running_url(demo.var / "pg", "sequence")
    lock = f"supervision-probe-{uuid.uuid4().hex}"
    subprocess.run([sys.executable, "-m", "sequence.cli", "procrastinate", "defer", "--queue", "engine",
                    "--queueing-lock", lock, "ops.retry_stalled_jobs", '{"timestamp": 0}'],
                   env=dict(demo.env, DATABASE_URL=database), check=True, capture_output=True, timeout=60)

    def status():
        with psycopg.connect(database) as conn:
            row = conn.execute("SELECT status FROM procrastinate_jobs WHERE queueing_lock = %s",
                               (lock,)).fetchone()
        return row and row[0] not in ("todo", "doing") and row[0]

    return wait_until(status, 30, "the engine-queue job to be run", every=0.2)


def test_a_worker_killed_with_9_is_restarted_and_serves(demo):
    old = wait_until(lambda: worker_commands(demo), 30, "the worker")
    assert len(old) == 1
    launcher = old[0].parent()
    killed_at = time.monotonic()
    old[0].kill()
    line = demo.wait_for_line(rf"the worker process \(pid {launcher.pid}\) stopped with exit code -9 "
                              r"\(killed by SIGKILL\) after [\d.]+ s; restart 1 in 0\.5 s", 15)
    restarted = demo.wait_for_line(r"worker restarted \(pid (\d+), restart 1\)", 15)
    new = wait_until(lambda: [p for p in worker_commands(demo) if p.pid != old[0].pid], 30, "a new worker")
    assert new[0].parent().pid == int(restarted.group(1))
    assert wait_until(lambda: serves_home(demo), 15, "the web to answer")
    assert engine_job_done(demo) == "succeeded"
    print(f"\n{line.string.strip()}\nworker killed with -9: a new one ran an engine job "
          f"{time.monotonic() - killed_at:.1f} s later")


def test_web_killed_with_9_is_restarted_and_its_workers_do_not_hold_the_port(demo):
    master = wait_until(lambda: commands(demo, "gunicorn"), 30, "gunicorn's master")[0]
    old_workers = wait_until(lambda: master.children(), 30, "gunicorn's workers")
    launcher = master.parent()
    master.kill()
    demo.wait_for_line(rf"the web process \(pid {launcher.pid}\) stopped with exit code -9 "
                       r"\(killed by SIGKILL\)", 15)
    wait_until(lambda: not alive(old_workers), 15, "the killed master's workers to go")
    wait_until(lambda: [p for p in commands(demo, "gunicorn") if p.pid != master.pid], 30, "a new web")
    assert wait_until(lambda: serves_home(demo), 30, "the new web to answer")


def test_run_killed_with_9_takes_its_children_and_frees_the_ports(demo):
    family = descendants(demo)
    names = " ".join(" ".join(p.cmdline()) for p in family)
    for part in ("smtp_sink", "venue serve", "procrastinate worker", "gunicorn", "pg_guard"):
        assert part in names
    postmaster = embedded_pg.running_url(demo.var / "pg", "sequence") and psutil.Process(
        int((demo.var / "pg" / "postmaster.pid").read_text().split()[0]))
    assert postmaster, "the embedded PostgreSQL is not running"
    killed_at = time.monotonic()
    demo.proc.kill()
    demo.proc.wait(10)
    try:
        wait_until(lambda: not alive([*family, postmaster]), 40, "the children to go", every=0.2)
    except AssertionError:
        left = [p.cmdline() for p in alive([*family, postmaster])]
        raise AssertionError(f"still running after `sequence run` was killed: {left}") from None
    gone_in = time.monotonic() - killed_at
    assert all(map(port_free, demo.ports)), "a port of the killed `sequence run` is still held"
    print(f"\n`sequence run` killed with -9: its {len(family)} processes and PostgreSQL gone in {gone_in:.1f} s")

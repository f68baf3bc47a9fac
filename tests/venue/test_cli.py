"""`sequence venue serve` in a subprocess, driven by the admin CLI; state survives a restart."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from sequence.venue.cli import StateError, load_state, main, save_state
from sequence.venue.engine import build_venue

SRC = Path(__file__).resolve().parents[2] / "src"  # the child imports this checkout's code
SERVE = [sys.executable, "-c", "import sys; from sequence.venue.cli import main; "
         "sys.exit(main(sys.argv[1:]))", "serve", "--port", "0", "--speed", "0"]


def start(extra):
    proc = subprocess.Popen([*SERVE, *extra], stdout=subprocess.PIPE, text=True,
                            env={"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin"})
    return proc, json.loads(proc.stdout.readline())["url"]


def stop(proc):
    proc.terminate()
    assert proc.wait(15) == 0


def test_serve_admin_cli_and_state_file(tmp_path, capsys):
    state = str(tmp_path / "venue.pickle")
    proc, url = start(["--state", state])
    try:
        assert main(["account", "create", "--name", "carol", "--url", url]) == 0
        acct = json.loads(capsys.readouterr().out)["id"]
        assert main(["fund", "--account", acct, "--coin", "USDT", "--amount", "500",
                     "--url", url]) == 0
        assert main(["key", "create", "--account", acct, "--exchange", "okx",
                     "--permissions", "read_only,trade", "--ips", "127.0.0.1",
                     "--expires", "+30d", "--url", url]) == 0
        capsys.readouterr()
        assert main(["fault", "add", "--kind", "latency", "--ms", "5", "--url", url]) == 0
        fault = json.loads(capsys.readouterr().out)
        assert (fault["kind"], fault["ms"]) == ("latency", 5)
        assert main(["fault", "list", "--url", url]) == 0
        assert [f["id"] for f in json.loads(capsys.readouterr().out)["faults"]] == [fault["id"]]
        assert main(["clock", "--url", url]) == 0
        before = json.loads(capsys.readouterr().out)["market_ms"]
        assert main(["clock", "--advance-candles", "3", "--url", url]) == 0
        after = json.loads(capsys.readouterr().out)["market_ms"]
        assert after - before == 3 * 60_000  # --speed 0: only the advance moves the clock
    finally:
        stop(proc)
    proc, url = start(["--state", state])
    try:
        assert main(["account", "show", acct, "--url", url]) == 0
        shown = json.loads(capsys.readouterr().out)
        assert shown["wallets"]["trading"]["USDT"] == "500"
    finally:
        stop(proc)


def test_bad_flags_and_no_server_exit_2(capsys):
    assert main(["fund", "--account", "1"]) == 2
    assert main(["clock", "--url", "http://127.0.0.1:9"]) == 2
    assert "no simulated exchange" in capsys.readouterr().err
    assert main(["serve", "--host", "0.0.0.0"]) == 2


def test_a_damaged_or_foreign_state_file_is_refused_with_a_message(tmp_path, capsys):
    """A truncated state file (a save cut short) or one holding something else: exit 2 and a
    message naming the file, never a traceback; the file is left as it was."""
    for name, content in (("cut.pickle", b"\x80\x04\x95"), ("dict.pickle", pickle.dumps({}))):
        path = tmp_path / name
        path.write_bytes(content)
        assert main(["serve", "--port", "0", "--state", str(path)]) == 2
        err = capsys.readouterr().err
        assert f"{path}: not a saved venue state" in err
        assert "Traceback" not in err
        assert path.read_bytes() == content


def test_a_failed_save_keeps_the_state_saved_before(tmp_path):
    """The state is written beside the file and renamed over it: a save that fails midway
    (here a venue holding a wall-clock function, which pickle cannot write) leaves the
    previous state whole, and no temporary file behind."""
    path = tmp_path / "venue.pickle"
    saved = build_venue(None, speed=0)
    saved.create_account("kept")
    save_state(str(path), saved)
    before = path.read_bytes()
    unpicklable = build_venue(None, speed=0, wall_ms=lambda: 0)
    with pytest.raises(StateError, match="the state was not saved"):
        save_state(str(path), unpicklable)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["venue.pickle"]
    assert [a.name for a in load_state(str(path)).accounts.values()] == ["kept"]

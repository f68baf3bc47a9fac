"""`sequence venue serve` in a subprocess, driven by the admin CLI; state survives a restart."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from sequence.venue.cli import main

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

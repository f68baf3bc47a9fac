"""`sequence run` (what `make run` starts) end to end: a fresh demo, sign-in with the code from the
demo mailbox, the demo's trade-only key verified within a minute, Ctrl-C stops everything, and a
second start keeps the data."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest

from tests.runtime.polling import port_free, wait_until
from tests.support.smtp import free_port

pytestmark = pytest.mark.e2e

CODE_RE = re.compile(r"sign-in code is:\s*(\d{6})")


class Demo:
    def __init__(self, var: Path) -> None:
        self.var = var
        self.port, self.smtp, self.venue = free_port(), free_port(), free_port()
        self.env = {k: v for k, v in os.environ.items()
                    if k not in {"DATABASE_URL", "EMAIL_HOST", "EMAIL_PORT", "BYBIT_API_URL", "OKX_API_URL"}}
        self.env.update(SEQUENCE_VAR=str(var), PYTHONUNBUFFERED="1")
        self.lines: list[str] = []
        self.codes_seen: set[str] = set()

    def start(self, timeout: float = 90.0) -> float:
        started = time.monotonic()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "sequence.cli", "run", "--port", str(self.port), "--smtp-port", str(self.smtp),
             "--venue-port", str(self.venue)],
            env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
        for line in self.proc.stdout:
            self.lines.append(line)
            if "Press Ctrl-C" in line:
                # keep reading: a full pipe would block every process writing to it
                threading.Thread(target=self._drain, daemon=True).start()
                return time.monotonic() - started
            if time.monotonic() - started > timeout:
                break
        raise AssertionError("sequence run did not come up:\n" + "".join(self.lines[-60:]))

    def _drain(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(line)

    def wait_for_line(self, pattern: str, timeout: float) -> re.Match:
        """The first output line of `sequence run` that matches `pattern` (waiting for it if need be)."""
        regex = re.compile(pattern)
        return wait_until(lambda: next(filter(None, map(regex.search, list(self.lines))), None),
                          timeout, f"a line matching {pattern!r}")

    @property
    def ports(self) -> tuple[int, int, int]:
        return self.port, self.smtp, self.venue

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def password(self, email: str) -> str:
        for line in self.lines:
            parts = line.split()
            if len(parts) == 2 and parts[0] == email:
                return parts[1]
        raise AssertionError(f"no printed password for {email}")

    def newest_code(self, email: str) -> str:
        """The newest unused sign-in code for `email`, read with `sequence demo_mail` (a terminal command)."""
        for _ in range(60):
            out = subprocess.run([sys.executable, "-m", "sequence.cli", "demo_mail", "--to", email, "--count", "1"],
                                 env=dict(self.env, SEQUENCE_DEMO="1"), capture_output=True, text=True,
                                 timeout=60).stdout
            match = CODE_RE.search(out)
            if match and match.group(1) not in self.codes_seen:
                self.codes_seen.add(match.group(1))
                return match.group(1)
            time.sleep(0.5)
        raise AssertionError(f"no new sign-in code for {email}")

    def stop(self) -> int:
        children = psutil.Process(self.proc.pid).children(recursive=True)
        self.proc.send_signal(signal.SIGINT)
        code = self.proc.wait(30)
        _gone, alive = psutil.wait_procs(children, timeout=15)
        assert not alive, f"still running after Ctrl-C: {[p.cmdline() for p in alive]}"
        assert all(map(port_free, self.ports)), "a port of sequence run is still held after Ctrl-C"
        return code


def sign_in(page, demo, email, code_for, lands_on="Dashboard"):
    page.goto(demo.url + "/")
    page.get_by_role("link", name="Sign in").first.click()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(demo.password(email))
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Check your email").wait_for()
    page.get_by_label("Code").fill(code_for())
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name=lands_on, exact=True).wait_for()  # an operator lands on the console


def test_make_run_demo_end_to_end(browser, tmp_path):
    demo = Demo(tmp_path / "var")
    first_start = demo.start(timeout=180)
    try:
        # the operator's first code comes from the terminal command
        operator = browser.new_context().new_page()
        sign_in(operator, demo, "operator@example.com", lambda: demo.newest_code("operator@example.com"),
                lands_on="Console")

        # the client's code comes from the demo mailbox page, read by the operator
        client = browser.new_context().new_page()

        def code_from_mailbox() -> str:
            for _ in range(60):
                operator.goto(demo.url + "/ops/demo/mailbox/")
                newest = operator.locator("details.mail").first
                if newest.count() and "client@example.com" in newest.inner_text():
                    match = CODE_RE.search(newest.inner_text())
                    if match:
                        return match.group(1)
                time.sleep(0.5)
            raise AssertionError("no code for the client in the demo mailbox")

        sign_in(client, demo, "client@example.com", code_from_mailbox)
        # the seed's bot: launched by the demo operator, trading the replayed candles
        deadline = time.monotonic() + 90
        while not (client.locator(".live table.orders tbody tr td").count()
                   and "Live" in client.locator("table.bots").inner_text()
                   and "None." not in client.locator(".live table.orders").inner_text()):
            assert time.monotonic() < deadline, client.locator("main").inner_text()[:2000]
            time.sleep(1)
            client.reload()
        client.locator(".live table.sides").wait_for()
        client.screenshot(path=str(tmp_path / "demo-dashboard-live.png"), full_page=True)
        keys = client.locator("#demo-keys .demo-key").first.inner_text()
        api_key = re.search(r"API Key: (\S+)", keys).group(1)
        api_secret = re.search(r"API Secret: (\S+)", keys).group(1)

        client.get_by_role("link", name="Add Strategy").click()
        client.get_by_label("Derivatives", exact=True).check()
        client.get_by_label("Exchange", exact=True).select_option(label="Bybit")
        strategy = client.get_by_label("Strategy", exact=True)
        value = strategy.locator("option:not([disabled])", has_text="USDT Perpetual Bidirectional").first
        strategy.select_option(value=value.get_attribute("value"))
        client.get_by_label("API Key", exact=True).fill(api_key)
        client.get_by_label("API Secret", exact=True).fill(api_secret)
        client.get_by_label("I have funded the dedicated sub-account").check()
        client.get_by_label("I have read and agree").check()
        submitted_at = time.monotonic()
        client.get_by_role("button", name="Submit Information").click()
        client.get_by_role("heading", name="Keys received").wait_for()
        while "Awaiting launch" not in client.locator("#verification").inner_text():
            assert time.monotonic() - submitted_at < 60, client.locator("#verification").inner_text()
            time.sleep(1)
            client.reload()
        verified_in = time.monotonic() - submitted_at
    finally:
        assert demo.stop() == 0

    second = Demo(demo.var)
    second.port, second.smtp, second.venue = demo.port, demo.smtp, demo.venue
    second_start = second.start()
    try:
        page = browser.new_context().new_page()
        second.codes_seen = demo.codes_seen
        second.lines = demo.lines + second.lines  # passwords are printed at every start; same ones
        sign_in(page, second, "client@example.com", lambda: second.newest_code("client@example.com"))
        rows = page.locator("table.bots").inner_text()
        assert "Awaiting launch" in rows and "Live" in rows, rows  # the data survived
    finally:
        assert second.stop() == 0
    print(f"\nsequence run: first start {first_start:.1f} s, second start {second_start:.1f} s, "
          f"key verified {verified_in:.1f} s after Submit Information")
    assert second_start < 60

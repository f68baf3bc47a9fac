"""Building blocks of the guide's walk (test_guide_walk.py): screenshots, sign-in, the form.

Screenshots go to var/guide-screens/ (untracked); `make screenshots` copies them into
docs/guide/, where the README shows the main ones. A step's screenshot is of the part of
the page the guide's step talks about, as the guide's own pictures are.
"""

from __future__ import annotations

import time
from pathlib import Path

import pyotp

from tests.accounts.helpers import code_from
from tests.conftest import PASSWORD
from tests.support.eventually import eventually
from tests.support.smtp import html_of

SCREENS = Path(__file__).resolve().parents[2] / "var" / "guide-screens"
DESKTOP = {"width": 1280, "height": 860}


class Screens:
    """One PNG per step, named by the caller (the README links them by name)."""

    def __init__(self, root: Path = SCREENS) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        for old in root.glob("*.png"):  # a walk's screens are all of one run
            old.unlink()
        self.taken: list[str] = []

    def _path(self, name: str) -> str:
        self.taken.append(name)
        return str(self.root / f"{name}.png")

    def page(self, page, name: str, *, full_page: bool = False) -> None:
        page.screenshot(path=self._path(name), full_page=full_page)

    def part(self, locator, name: str) -> None:
        locator.scroll_into_view_if_needed()
        locator.screenshot(path=self._path(name))

    def email(self, context, msg, name: str) -> None:
        """The email's HTML part as a mail client shows it: a page of its own, no network."""
        page = context.new_page()
        page.set_viewport_size({"width": 640, "height": 100})  # full_page: as tall as the email
        page.set_content(html_of(msg))
        page.screenshot(path=self._path(name), full_page=True)
        page.close()


def client_signs_in(page, screens: Screens, base: str, email: str, smtp_sink) -> tuple[str, str]:
    """Steps 1 to 5: the home page, "Sign in", the credentials, the code by email, the dashboard.
    Returns the sign-in code (it must appear on no page) and the home page's text."""
    page.goto(base + "/")  # step 1
    page.get_by_role("heading", name="Sequence").wait_for()
    home = page.locator("body").inner_text()
    screens.page(page, "01-home")
    page.get_by_role("link", name="Sign in").first.click()  # step 2
    page.get_by_role("heading", name="Sign in").wait_for()
    screens.page(page, "02-sign-in")
    page.get_by_label("Email").fill(email)  # step 3
    page.get_by_label("Password").fill(PASSWORD)
    screens.part(page.locator("main"), "03-credentials")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Check your email").wait_for()  # step 4
    screens.page(page, "04-check-your-email")
    mail = smtp_sink.to(email, "sign-in code")
    screens.email(page.context, mail, "04-code-email")
    code = code_from(mail)
    page.get_by_label("Code").fill(code)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Dashboard").wait_for()  # step 5
    return code, home


def operator_signs_in(page, base: str, email: str, secret: str, start: str = "/signin/") -> None:
    """Password, then the authenticator app's code, from ``start`` (a console page sends an
    anonymous visitor to sign in, and back after). Where sign-in lands is the caller's business."""
    page.goto(base + start)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Enter your authenticator code").wait_for()
    # the app's next code: the current one was spent turning the app on (each step counts once),
    # and one step of clock drift either way is accepted
    totp = pyotp.TOTP(secret)
    page.get_by_label("Code").fill(totp.at(time.time() + totp.interval))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/signin" not in url)


def visible_credential_fields(page) -> list[str]:
    labels = ["API Name", "Passphrase", "API Key", "API Secret", "Private Key"]
    return [name for name in labels if page.get_by_label(name, exact=True).is_visible()]


def tick_and_submit(page, screens: Screens | None, prefix: str = "") -> None:
    """Steps 10 and 11: the funded sub-account, the terms, "Submit Information"."""
    page.get_by_label("I have funded the dedicated sub-account").check()
    if screens:
        screens.part(page.locator("fieldset", has_text="Step 10"), f"{prefix}10-funded-sub-account")
    page.get_by_label("I have read and agree").check()
    if screens:
        screens.part(page.locator("fieldset", has_text="Step 11"), f"{prefix}11-terms")
    page.get_by_role("button", name="Submit Information").click()
    page.get_by_role("heading", name="Keys received").wait_for()


def status_shows(page, text: str, *, timeout: float = 30.0) -> None:
    """Reload the submission page until its status reads `text` (the page says: reload)."""
    status = page.locator("#verification")

    def shown() -> bool:
        if text in status.inner_text():
            return True
        page.reload()
        return False

    eventually(shown, timeout=timeout, interval=0.3, what=lambda: f"the status {text!r}; the page says "
                                                                  f"{status.inner_text()!r}")


def dashboard_row(page, base: str):
    page.goto(base + "/dashboard/")
    return page.locator("table.bots tbody tr").first


class RequestLog:
    """Which API key signed the simulated exchange's requests, from a mark on."""

    def __init__(self, venue) -> None:
        self.admin = venue.admin
        self.seen = 0  # the newest entry read so far (the log is the session's: read on from it)

    def _read(self, since: int) -> list[dict]:
        records = self.admin.requests(since)
        if records:
            self.seen = max(self.seen, records[-1]["seq"])
        return records

    def mark(self) -> int:
        self._read(self.seen)
        return self.seen

    def signed_by(self, api_key: str, since: int) -> list[dict]:
        return [r for r in self._read(since) if r["key"] == api_key]

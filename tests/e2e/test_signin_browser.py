"""A client signs in with a real browser (Debian chromium), reading the code from a real SMTP server."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.accounts.helpers import code_from
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[2] / "var" / "test-artifacts"


def test_client_signs_in_end_to_end_desktop_and_phone(live_server, browser, alice, worker, smtp_sink):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Sign in").first.click()
    page.get_by_label("Email").fill("Alice@Example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Check your email").wait_for()

    code = code_from(smtp_sink.to("alice@example.com", "sign-in code"))
    page.get_by_label("Code").fill(code)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Dashboard").wait_for()
    add, refresh = page.get_by_role("link", name="Add Strategy"), page.get_by_role("link", name="Refresh API")
    assert add.is_visible() and refresh.is_visible()
    # top right: both buttons sit in the right half of the page, above the strategies
    box = add.bounding_box()
    assert box["x"] > 640 and box["y"] < 200
    assert "bluefalcon" in page.content()
    assert page.title() == "Dashboard · Sequence"
    assert code not in page.content()
    page.screenshot(path=str(ARTIFACTS / "dashboard-desktop.png"), full_page=True)

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert page.get_by_role("link", name="Add Strategy").is_visible()
    page.screenshot(path=str(ARTIFACTS / "dashboard-phone.png"), full_page=True)

    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("heading", name="Sign in").or_(page.get_by_text("You are signed out")).first.wait_for()
    context.close()


def test_sign_in_page_fits_a_phone(live_server, browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    page.goto(live_server.url + "/signin/")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert page.get_by_role("button", name="Sign in").is_visible()
    page.screenshot(path=str(ARTIFACTS / "signin-phone.png"))
    context.close()

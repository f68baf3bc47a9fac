"""The guide's steps 5 to 12 in a real browser, against the simulated exchange, with real emails."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sequence.onboarding.models import Submission
from tests.accounts.helpers import code_from
from tests.conftest import PASSWORD
from tests.onboarding.helpers import BYBIT_WITHDRAW, catalog, exchange_key
from tests.support.smtp import html_of, text_of

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[2] / "var" / "test-artifacts"


def sign_in(page, base, smtp_sink):
    page.goto(base + "/signin/")
    page.get_by_label("Email").fill("alice@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Check your email").wait_for()
    page.get_by_label("Code").fill(code_from(smtp_sink.to("alice@example.com", "sign-in code")))
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Dashboard").wait_for()


def fill_form(page, *, exchange_label, offering, key):
    page.get_by_role("link", name="Add Strategy").click()  # step 5
    page.get_by_role("heading", name="API Submission").wait_for()
    assert page.get_by_label("Registered email").input_value() == "alice@example.com"  # step 6
    page.get_by_label("Adding strategy for the first time").check()
    page.get_by_label("Derivatives", exact=True).check()
    page.get_by_label("Exchange", exact=True).select_option(label=exchange_label)  # step 7
    strategy = page.get_by_label("Strategy", exact=True)
    # several exchanges offer a strategy of the same name: the visible option is this exchange's
    assert strategy.locator(f'option[value="{offering.pk}"]').inner_text().startswith(offering.strategy.name)
    strategy.select_option(value=str(offering.pk))
    if key.passphrase:  # step 8
        page.get_by_label("API Name", exact=True).fill("sequence bot")
        page.get_by_label("Passphrase", exact=True).fill(key.passphrase)
    else:
        assert not page.get_by_label("Passphrase", exact=True).is_visible()  # Bybit asks for two fields only
    page.get_by_label("API Key", exact=True).fill(key.api_key)
    page.get_by_label("API Secret", exact=True).fill(key.secret)
    assert page.get_by_label("Anti-phishing code").input_value() == "bluefalcon"  # step 9
    page.get_by_label("I have funded the dedicated sub-account").check()  # step 10
    page.get_by_label("I have read and agree").check()  # step 11
    page.screenshot(path=str(ARTIFACTS / f"form-{exchange_label.lower()}.png"), full_page=True)
    page.get_by_role("button", name="Submit Information").click()
    page.get_by_role("heading", name="Keys received").wait_for()  # step 12


def wait_status(page, text, timeout_s=30):
    for _ in range(timeout_s * 2):
        if text in page.locator("#verification").inner_text():
            return
        page.wait_for_timeout(500)
        page.reload()
    raise AssertionError(f"status never showed {text!r}: {page.locator('#verification').inner_text()}")


@pytest.mark.parametrize(("exchange", "exchange_label"), [("bybit", "Bybit"), ("okx", "OKX")])
def test_guide_steps_5_to_12(live_server, browser, alice, worker, smtp_sink, venue_settings, exchange,
                             exchange_label):
    offering = catalog()[f"usdt-perp-hedge@{exchange}"]
    key = exchange_key(venue_settings, exchange=exchange)
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(page, live_server.url, smtp_sink)
    fill_form(page, exchange_label=exchange_label, offering=offering, key=key)
    received = smtp_sink.to("alice@example.com", "Keys received")
    assert "bluefalcon" in text_of(received) and "bluefalcon" in html_of(received)
    wait_status(page, "Awaiting launch")
    page.screenshot(path=str(ARTIFACTS / f"submission-{exchange}.png"), full_page=True)
    page.goto(live_server.url + "/dashboard/")
    row = page.locator("table.bots tbody tr").first
    assert "Awaiting launch" in row.inner_text() and key.api_key[-4:] in row.inner_text()
    assert re.search(r"in \d+ days?", row.inner_text())
    assert key.secret not in page.content()
    assert Submission.objects.get().status == "verified"


def test_a_key_that_can_withdraw_ends_in_needs_attention(live_server, browser, alice, worker, smtp_sink,
                                                         venue_settings):
    offering = catalog()["usdt-perp-hedge@bybit"]
    key = exchange_key(venue_settings, permissions=BYBIT_WITHDRAW)
    page = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True).new_page()
    sign_in(page, live_server.url, smtp_sink)
    fill_form(page, exchange_label="Bybit", offering=offering, key=key)
    wait_status(page, "Needs attention")
    assert "withdraw" in page.locator(".problems").inner_text().lower()
    page.screenshot(path=str(ARTIFACTS / "submission-withdraw-phone.png"), full_page=True)
    issue = smtp_sink.to("alice@example.com", "Action needed")
    assert "from the trading team" in html_of(issue)
    assert "Withdraw" in text_of(issue)

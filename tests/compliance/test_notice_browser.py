"""A client gives a notice above the limit in a real browser and sees the strategy paused for it."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from sequence.accounts.middleware import AUTH_AT, LAST_SEEN
from sequence.compliance.models import WithdrawalNotice
from tests.compliance.helpers import bot_state, new_bot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[2] / "var" / "test-artifacts"


def signed_in_context(browser, live_server, user):
    """A browser whose session is one the sign-in views would leave (sign-in has its own browser test)."""
    client = Client()
    client.force_login(user, backend="sequence.accounts.backends.EmailBackend")
    session = client.session
    session[AUTH_AT] = session[LAST_SEEN] = time.time()
    session.save()
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session.session_key,
                          "url": live_server.url}])
    return context


def trading_bot(user):
    """A live, stepped bot, made in a thread of its own: Playwright's loop runs in this one, and
    the in-process exchange port is driven with async_to_sync."""
    from django.db import connection

    def make():
        try:
            return new_bot(user, balance="10000")[0]
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(make).result(timeout=60)


def test_a_notice_above_the_limit_shows_paused_for_your_withdrawal(live_server, browser, alice):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    bot = trading_bot(alice)
    context = signed_in_context(browser, live_server, alice)
    page = context.new_page()
    page.goto(live_server.url + "/dashboard/")
    section = page.locator("#withdrawal-notices")
    section.get_by_label("Strategy").select_option(str(bot.pk))
    section.get_by_label("Amount").fill("abc")
    section.get_by_role("button", name="Continue").click()
    page.get_by_text("Enter the amount as a number").wait_for()  # a sentence, the form kept
    page.get_by_label("Amount").fill("800")
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", name="Confirm your withdrawal notice").wait_for()
    assert page.locator("[data-share]").inner_text() == "8.00%"
    assert "Above the limit" in page.content()
    page.screenshot(path=str(ARTIFACTS / "withdrawal-notice-confirm.png"), full_page=True)
    page.get_by_role("button", name="Confirm notice").click()
    page.get_by_role("heading", name="Dashboard").wait_for()
    assert page.get_by_text("is paused for your withdrawal").first.is_visible()
    assert page.get_by_role("button", name="I have withdrawn").is_visible()
    page.screenshot(path=str(ARTIFACTS / "withdrawal-notice-paused.png"), full_page=True)
    assert WithdrawalNotice.objects.get(bot=bot).large
    assert bot_state(bot) == ("paused", ["withdrawal"])
    context.close()

"""The client guide (guide/sequence-user-guide.txt) walked end to end, as a client would.

A real browser (Debian chromium), the real worker, real emails to a real SMTP server, and
the simulated exchange over HTTP: the 12 steps (sign in, the code email, the dashboard,
Add Strategy, the form in the guide's order, Submit Information, the confirmation email),
then the operator's launch in the console, the launched email, and the guide's notes: a
withdrawal notice above 5% from the dashboard, the expiry reminder, and Refresh API with new
keys while the old ones trade, up to the "API refreshed" email. What the test looks for on
the pages are the guide's own words. One screenshot per step goes to var/guide-screens/.
"""

from __future__ import annotations

import re
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connection

from sequence.compliance.services import notices_progress
from sequence.onboarding.lifecycle import key_reminders_run
from sequence.onboarding.models import Submission
from sequence.trading.models import Bot, BotEngine
from sequence.trading.services import bot_stop
from sequence.vault.models import Credential
from tests.e2e.guide_walk import (
    DESKTOP,
    RequestLog,
    Screens,
    client_signs_in,
    dashboard_row,
    operator_signs_in,
    status_shows,
    tick_and_submit,
    visible_credential_fields,
)
from tests.onboarding.helpers import BYBIT_TRADE, catalog
from tests.ops.helpers import with_app
from tests.support.eventually import eventually
from tests.support.smtp import html_of, text_of

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

EMAIL = "alice@example.com"
CODE = "bluefalcon"  # the anti-phishing code the client chooses at step 9
BALANCE = Decimal(20000)  # USDT on the funded sub-account
NOTICE = Decimal(1600)  # 8% of it: above the 5% the guide asks to be told of


def in_thread(fn, *args, **kwargs):
    """A service call (the periodic jobs' bodies) off the thread where Playwright's loop runs."""
    def call():
        try:
            return fn(*args, **kwargs)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(call).result(timeout=60)


def new_key(venue, account: str, *, ips=("127.0.0.1",), expires_in_days: float | None = None):
    """A trade-only Bybit key on the client's sub-account, as the client makes it on the exchange."""
    expires = None if expires_in_days is None else int((time.time() + expires_in_days * 86400) * 1000)
    return venue.admin.create_key(account, exchange="bybit", permissions=BYBIT_TRADE, ips=list(ips),
                                  expires_at=expires)


def test_the_guide_walked_end_to_end(live_server, browser, make_user, operator, worker, smtp_sink,
                                     venue_settings, settings):
    settings.DEMO = False  # outside the demo an operator signs in only with an authenticator app
    venue, base = venue_settings, live_server.url
    offering = catalog()["usdt-perp-hedge@bybit"]
    make_user(EMAIL, anti_phishing_code="")  # a new client: no anti-phishing code yet
    account = venue.admin.create_account(name="alice-sub-account")
    venue.admin.fund(account, "USDT", str(BALANCE), wallet="trading")
    old_key = new_key(venue, account, expires_in_days=8.5)  # keys that expire soon: refreshed below
    screens = Screens()
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    bot_id = None
    try:
        # Steps 1 to 5 ------------------------------------------------------------------------
        sign_in_code, home = client_signs_in(page, screens, base, EMAIL, smtp_sink)
        assert "cannot withdraw or transfer your funds" in home  # the note: trade only permissions
        assert f"Questions? Contact {settings.SUPPORT_EMAIL}" in home  # the note: questions
        add, refresh = page.get_by_role("link", name="Add Strategy"), page.get_by_role("link", name="Refresh API")
        assert add.is_visible() and refresh.is_visible()
        box = add.bounding_box()  # "in the top right corner of the Dashboard"
        assert box["x"] > DESKTOP["width"] / 2 and box["y"] < 200
        assert sign_in_code not in page.content()
        screens.page(page, "05-dashboard")

        # Step 6: the API Submission page ---------------------------------------------------------
        add.click()
        page.get_by_role("heading", name="API Submission").wait_for()
        page.get_by_label("Registered email").fill(EMAIL)  # "your registered Sequence email address"
        assert page.get_by_label("Adding strategy for the first time").is_checked()
        assert page.get_by_label("Refreshing API").is_visible()
        assert page.get_by_label("Spot Trading").is_visible()
        page.get_by_label("Derivatives", exact=True).check()
        screens.part(page.locator("fieldset", has_text="Step 6"), "06-submission-type")

        # Step 7: exchange and strategy -----------------------------------------------------------
        step7 = page.locator("fieldset", has_text="Step 7")
        assert "Not all strategies are available on all exchanges" in step7.inner_text()
        page.get_by_label("Exchange", exact=True).select_option(label="Bybit")
        strategy = page.get_by_label("Strategy", exact=True)
        assert "Invite Only" in strategy.inner_text()  # the label the guide speaks of
        strategy.select_option(value=str(offering.pk))
        screens.part(step7, "07-exchange-strategy")

        # Step 8: the API keys, Bybit's two ----------------------------------------------------------
        step8 = page.locator("fieldset", has_text="Step 8")
        assert "Copy and paste each key exactly as displayed in your exchange account" in step8.inner_text()
        assert visible_credential_fields(page) == ["API Key", "API Secret"]  # "Bybit: Requires API Key and API Secret"
        assert "127.0.0.1" in page.locator("#ip-whitelist").inner_text()  # "whitelisting IP"
        page.get_by_label("API Key", exact=True).fill(old_key.api_key)
        page.get_by_label("API Secret", exact=True).fill(old_key.secret)
        screens.part(step8, "08-api-keys")

        # Step 9: the anti-phishing code -----------------------------------------------------------
        step9 = page.locator("fieldset", has_text="Step 9")
        assert re.search(r"word or code between 4 (to|and) 20 characters", step9.inner_text())
        assert "This code helps you verify that messages you receive are genuinely from Sequence" in step9.inner_text()
        page.get_by_label("Anti-phishing code").fill(CODE)
        screens.part(step9, "09-anti-phishing-code")

        # Steps 10 and 11: the funded sub-account, the terms, Submit Information ------------------
        step10 = page.locator("fieldset", has_text="Step 10").inner_text()
        assert "“Insufficient funds” error" in step10 and "Only check the box if you have funded" in step10
        assert page.get_by_role("link", name="Exchange Guides: Getting Started").is_visible()
        step11 = page.locator("fieldset", has_text="Step 11")
        assert step11.get_by_role("link", name="terms and conditions").is_visible()
        assert step11.get_by_role("link", name="risk disclosure").is_visible()  # "the trading risks linked"
        tick_and_submit(page, screens)

        # Step 12: the confirmation -----------------------------------------------------------------
        assert "If you didn’t instantly receive the email, then we didn’t receive the keys" in page.content()
        received = smtp_sink.to(EMAIL, "Keys received")
        assert CODE in text_of(received) and CODE in html_of(received)
        assert "You will receive an email once the strategy has been launched" in text_of(received)
        assert old_key.secret not in received.as_string()
        screens.email(context, received, "12-confirmation-email")
        status_shows(page, "Awaiting launch")
        screens.page(page, "12-keys-received")
        submission = Submission.objects.get()
        bot_id = submission.bot_id

        # The trading team launches it, in the console ------------------------------------------------
        secret = with_app(operator)
        ops = browser.new_context(viewport=DESKTOP).new_page()
        operator_signs_in(ops, base, operator.email, secret)
        ops.goto(base + "/ops/")
        ops.get_by_role("heading", name="Console").wait_for()
        screens.page(ops, "13-console")
        ops.get_by_role("link", name=re.compile("awaiting launch")).click()
        row = ops.locator(f'tr[data-submission="{submission.pk}"]')
        row.wait_for()
        assert EMAIL in row.inner_text() and "Balance: ok" in row.inner_text()
        screens.page(ops, "14-console-queue")
        row.get_by_role("button", name="Launch").click()
        ops.get_by_text("Launch requested").wait_for()
        ops.context.close()

        # "You will then receive an email once the strategy has been launched" ----------------------------
        launched = smtp_sink.to(EMAIL, "is live", timeout=60)
        text = text_of(launched)
        assert text.startswith(f"Your anti-phishing code: {CODE}") and CODE in html_of(launched)
        for rule in ("do not place manual trades", "more than 5% of your balance",  # the four ⛔ rules
                     "do not withdraw any asset other than USDT", "only add funds in USDT"):
            assert rule in text, rule
        assert "never ask for your password, your exchange login" in text  # the security recommendation
        screens.email(context, launched, "15-launched-email")
        eventually(lambda: len(venue.admin.account(account)["open_orders"]) == 2, timeout=30,
                   what="both entries resting on the exchange")
        eventually(lambda: BotEngine.objects.filter(bot_id=bot_id, balance__gt=0).exists(), timeout=30,
                   what="the engine's first read of the balance")
        row = dashboard_row(page, base)
        assert "Live" in row.inner_text() and old_key.api_key[-4:] in row.inner_text()
        assert "in 9 days" in row.inner_text()  # the exchange's expiry of these keys, 8.5 days away
        # 🟢 How to monitor: the closed trades in the unit of account, and their export
        assert page.get_by_role("link", name="All results, cycles and CSV downloads").is_visible()
        screens.page(page, "16-dashboard-live")

        # 🟢 Withdrawing funds: notify before withdrawing more than 5%, from the dashboard ------------------
        section = page.locator("#withdrawal-notices")
        assert "5%" in section.inner_text()
        section.get_by_label("Strategy").select_option(str(bot_id))
        section.get_by_label("Amount").fill(str(NOTICE))
        screens.part(section, "17-withdrawal-notice")
        section.get_by_role("button", name="Continue").click()
        page.get_by_role("heading", name="Confirm your withdrawal notice").wait_for()
        assert page.locator("[data-share]").inner_text() == "8.00%" and "Above the limit" in page.content()
        screens.part(page.locator("#withdrawal-notice-confirm"), "18-withdrawal-notice-confirm")
        page.get_by_role("button", name="Confirm notice").click()
        page.get_by_role("heading", name="Dashboard").wait_for()
        assert page.get_by_text("is paused for your withdrawal").first.is_visible()
        notice_mail = smtp_sink.to(EMAIL, "Withdrawal notice received")
        assert CODE in text_of(notice_mail) and "Do not withdraw yet" in text_of(notice_mail)
        # the paused step cancels the entries; the periodic job (each minute) then says "safe":
        # here its body runs until it has moved the notice
        eventually(lambda: in_thread(notices_progress) >= 1, timeout=30, interval=0.5,
                   what="the notice to become safe to withdraw")
        safe = smtp_sink.to(EMAIL, "Safe to withdraw")
        screens.email(context, safe, "19-safe-to-withdraw-email")
        page.reload()
        assert "safe to withdraw" in page.locator("#withdrawal-notices").inner_text()
        screens.part(page.locator("#withdrawal-notices"), "19-paused-for-your-withdrawal")
        # the client withdraws, dated at the exchange's (paused) market clock: the engine reads the
        # ledger from its cursor's own millisecond on (advancing the clock first would date the
        # withdrawal ahead of the wall clock, and the ledger shows it only once that time comes)
        venue.admin.withdraw(account, "USDT", str(NOTICE), wallet="trading")
        resumed = smtp_sink.to(EMAIL, "Trading resumed", timeout=60)  # the ledger showed it
        assert CODE in text_of(resumed)
        eventually(lambda: Bot.objects.get(pk=bot_id).status == "live", what="the bot trading again")

        # ⁉️ API validity: the reminder before the keys expire (the periodic job's body) ---------------
        assert in_thread(key_reminders_run)["10d"] == 1
        reminder = smtp_sink.to(EMAIL, "expires in 9 days")  # the same count
        assert "Refresh API" in text_of(reminder) and CODE in text_of(reminder)
        screens.email(context, reminder, "20-expiry-reminder-email")

        # Refresh API, first with a key the client forgot to whitelist: the old keys keep trading ------
        log = RequestLog(venue)
        forgot = new_key(venue, account, ips=())
        refresh_form(page, base, bot_id, forgot, screens)
        refresh_received = smtp_sink.to(EMAIL, "API refresh received")
        assert 'Keep the old keys until you receive the "API refreshed" email' in text_of(refresh_received)
        status_shows(page, "Needs attention")
        assert "IP whitelist" in page.locator(".problems").inner_text()
        screens.page(page, "22-refresh-needs-attention")
        issue = smtp_sink.to(EMAIL, "Action needed")
        assert "from the trading team" in html_of(issue) and "Your current keys keep trading meanwhile" in text_of(issue)
        mark = log.mark()
        eventually(lambda: len(log.signed_by(old_key.api_key, mark)) >= 3, timeout=30,
                   what="the engine trading on with the old keys")
        row = dashboard_row(page, base)
        assert "Live" in row.inner_text() and old_key.api_key[-4:] in row.inner_text()
        screens.page(page, "23-old-keys-still-trading")

        # ... then the right key: verified, switched over, "API refreshed" ------------------------------
        fresh = new_key(venue, account)
        refresh_form(page, base, bot_id, fresh, None)
        status_shows(page, "Keys refreshed")
        assert "you may delete the old keys" in page.locator("#verification").inner_text()
        screens.page(page, "24-keys-refreshed")
        refreshed = smtp_sink.to(EMAIL, "API refreshed")
        assert "You may now delete the old API keys" in text_of(refreshed) and CODE in text_of(refreshed)
        screens.email(context, refreshed, "25-api-refreshed-email")
        switched = log.mark()  # the switch is done: the next steps sign with the new keys
        first_new = eventually(lambda: log.signed_by(fresh.api_key, switched), timeout=30,
                               what="the engine trading with the new keys")[0]["seq"]
        steps = BotEngine.objects.get(bot_id=bot_id).steps
        eventually(lambda: BotEngine.objects.get(bot_id=bot_id).steps >= steps + 2, timeout=30,
                   what="two more steps")
        assert log.signed_by(old_key.api_key, first_new) == []  # once switched, never the old keys again
        assert Credential.objects.get(pk=submission.credential_id).destroyed_at is not None
        row = dashboard_row(page, base)
        assert "Live" in row.inner_text() and fresh.api_key[-4:] in row.inner_text()
        assert "in 90 days" in row.inner_text()  # "API keys have a 90-day validity period"
        assert fresh.secret not in page.content() and old_key.secret not in page.content()
        screens.page(page, "26-dashboard-new-keys")
    finally:
        context.close()
        if bot_id is not None:  # the bot's step chain ends: the worker goes idle for the next test
            in_thread(bot_stop, bot_id=bot_id, actor=operator)


def refresh_form(page, base: str, bot_id, key, screens: Screens | None) -> None:
    """Dashboard → "Refresh API" → the same form, "Refreshing API", the bot, its new keys."""
    page.goto(base + "/dashboard/")
    page.get_by_role("link", name="Refresh API").click()
    page.get_by_role("heading", name="API Submission").wait_for()
    assert page.get_by_label("Refreshing API").is_checked()
    keep = page.locator("#refresh-keep-old")
    assert "Do not delete the old keys until you have received the “API refreshed” email" in keep.inner_text()
    page.get_by_label("Which strategy's keys are you refreshing?").select_option(str(bot_id))
    assert visible_credential_fields(page) == ["API Key", "API Secret"]  # the bot's exchange is Bybit
    page.get_by_label("API Key", exact=True).fill(key.api_key)
    page.get_by_label("API Secret", exact=True).fill(key.secret)
    assert page.get_by_label("Anti-phishing code").input_value() == CODE
    if screens:
        screens.page(page, "21-refresh-api", full_page=True)
    tick_and_submit(page, None)

"""Issue 11: in a real browser, an operator finds the demo client's verified submission in the
queue and launches it; the real worker sets the account up on the simulated exchange, the client
gets "strategy launched" with their anti-phishing code, and the audit log shows the launch with
the operator's name. Desktop and 390 px wide, with screenshots of the queue, the bot page and
the audit log."""

from __future__ import annotations

from pathlib import Path

import pytest

from sequence.trading.models import Bot
from tests.e2e.guide_walk import operator_signs_in
from tests.onboarding.helpers import catalog, exchange_key
from tests.ops.helpers import submission, with_app
from tests.support.eventually import eventually
from tests.support.smtp import html_of, text_of

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[2] / "var" / "test-artifacts"


@pytest.mark.parametrize(("width", "height", "tag"), [(1280, 900, "desktop"), (390, 844, "phone")])
def test_an_operator_launches_from_the_queue_and_the_audit_log_shows_it(
        live_server, browser, alice, operator, worker, smtp_sink, venue_settings, settings, width, height, tag):
    settings.DEMO = False
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    secret = with_app(operator)
    key = exchange_key(venue_settings, amount="20000")
    sub = submission(alice, catalog()["usdt-perp-hedge@bybit"],
                     fields={"api_key": key.api_key, "api_secret": key.secret})
    context = browser.new_context(viewport={"width": width, "height": height}, is_mobile=tag == "phone")
    page = context.new_page()
    operator_signs_in(page, live_server.url, operator.email, secret, start="/ops/submissions/")
    page.get_by_role("heading", name="Submissions").wait_for()  # back where the console sent us

    page.get_by_label("Status").select_option(label="Verified")
    page.get_by_role("button", name="Filter").click()
    row = page.locator(f'tr[data-submission="{sub.pk}"]')
    row.wait_for()
    assert "alice@example.com" in row.inner_text() and "Balance: ok" in row.inner_text()
    page.screenshot(path=str(ARTIFACTS / f"console-queue-{tag}.png"), full_page=True)
    row.get_by_role("button", name="Launch").click()
    page.get_by_text("Launch requested").wait_for()

    launched = smtp_sink.to("alice@example.com", "is live", timeout=60)
    assert "bluefalcon" in text_of(launched) and "bluefalcon" in html_of(launched)
    assert "from the trading team" in html_of(launched)
    eventually(lambda: Bot.objects.get(pk=sub.bot_id).status == "live", timeout=30, what="the bot live")

    page.goto(f"{live_server.url}/ops/bots/{sub.bot_id}/")
    assert page.locator("#bot-status").inner_text() == "Live"
    assert key.secret not in page.content() and key.api_key not in page.content()
    page.screenshot(path=str(ARTIFACTS / f"console-bot-{tag}.png"), full_page=True)

    page.get_by_role("link", name="Audit log").click()
    page.get_by_label("Kind").fill("bot.launch")
    page.get_by_role("button", name="Filter").click()
    rows = page.locator("table.audit tbody tr")
    eventually(lambda: rows.count() >= 2, timeout=10, what="the launch events")
    texts = [rows.nth(i).inner_text() for i in range(rows.count())]
    assert any("bot.launched" in t and "operator@example.com" in t for t in texts), texts
    assert any("bot.launch_requested" in t and "operator@example.com" in t for t in texts), texts
    page.screenshot(path=str(ARTIFACTS / f"console-audit-{tag}.png"), full_page=True)
    context.close()

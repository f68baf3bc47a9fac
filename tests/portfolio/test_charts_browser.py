"""In a real browser: the dashboard card's equity chart renders its points, the hover shows a
value, the range selector zooms, and the strict CSP refuses nothing (screenshots kept)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sequence.portfolio.models import EquityPoint
from sequence.portfolio.selectors import performance
from tests.conftest import PASSWORD
from tests.portfolio.helpers import traded_bot
from tests.support import web_seed

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[2] / "var" / "test-artifacts"


def _traded_in_a_thread(user):
    """The trading runs in its own thread: Playwright's event loop owns this one (async_to_sync
    refuses to run under it)."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    def work():
        try:
            return traded_bot(user, candles=240)[0]
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(work).result()


def _browser_signed_in(browser, client, live_server, user):
    web_seed.signed_in_with_app(client, user, web_seed.totp_on(user), PASSWORD)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value,
                          "url": live_server.url}])
    return context.new_page()


def test_dashboard_chart_renders_hovers_and_zooms(live_server, browser, client, alice):
    bot = _traded_in_a_thread(alice)
    equities = [float(e) for e in EquityPoint.objects.filter(bot=bot).values_list("equity", flat=True)]
    bot_cycles = len(performance(bot).closed)
    assert bot_cycles >= 2
    page = _browser_signed_in(browser, client, live_server, alice)
    refused = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("pageerror", lambda e: refused.append(str(e)))
    page.goto(live_server.url + "/dashboard/")
    card = page.locator(f"#results-{bot.pk}")
    chart = card.locator(".equity-chart")
    chart.locator(".main-svg").first.wait_for()
    points = chart.locator(".scatterlayer .trace").first.locator("path.point")
    assert points.count() == len(equities)  # one marker per recorded point
    assert re.search(r"Equity [\d,.]+ USDT · realised PnL -?[\d,.]+ USDT over \d+ closed cycles",
                     card.locator(".results-summary").inner_text())
    # hover the middle point: the tooltip shows its value in the unit
    chart.scroll_into_view_if_needed()
    box = points.nth(len(equities) // 2).bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    tip = chart.locator(".hoverlayer .hovertext").first
    tip.wait_for()
    text = tip.text_content()
    assert "USDT" in text and "2023-03-01" in text
    shown = float(re.search(r"([\d,]+\.\d+) USDT", text).group(1).replace(",", ""))
    assert min(abs(shown - e) for e in equities) < 0.01  # a recorded equity, as plotly prints it
    page.screenshot(path=str(ARTIFACTS / "dashboard-results-chart.png"), full_page=True)
    # the card's closed cycles: one bar per cycle, by side
    card.locator(".cycles-chart .main-svg").first.wait_for()
    assert card.locator(".cycles-chart .barlayer").first.locator(".point").count() == bot_cycles  # main plot, not the slider
    card.screenshot(path=str(ARTIFACTS / "dashboard-results-card.png"))
    # the range selector zooms the time axis (and the range slider is there)
    before = page.evaluate("(el) => el.layout.xaxis.range.slice()", chart.element_handle())
    chart.locator(".rangeselector .button").filter(has_text="1d").click()
    after = page.evaluate("(el) => el.layout.xaxis.range.slice()", chart.element_handle())
    assert after != before
    assert chart.locator(".rangeslider-container").count() == 1
    # the bot's own page: the equity and the closed cycles charts
    page.goto(live_server.url + f"/portfolio/bots/{bot.pk}/")
    page.locator("#closed-cycles-chart .main-svg").first.wait_for()
    bars = page.locator("#closed-cycles-chart .barlayer path")
    assert bars.count() >= 2
    page.screenshot(path=str(ARTIFACTS / "bot-results-page.png"), full_page=True)
    assert refused == []

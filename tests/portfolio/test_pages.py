"""The results page, its JSON and the CSV downloads: owner only, exact, round-tripping."""

from __future__ import annotations

import csv
import io
import json
import re
from decimal import Decimal

import pytest

from sequence.portfolio.models import EquityPoint
from sequence.trading.models import Fill
from tests.conftest import PASSWORD
from tests.portfolio.helpers import traded_bot
from tests.support import web_seed

pytestmark = pytest.mark.django_db


def sign_in(client, user):
    web_seed.signed_in_with_app(client, user, web_seed.totp_on(user), PASSWORD)


@pytest.fixture
def traded(alice):
    bot, _, _ = traded_bot(alice, candles=240)
    return bot


def _rows(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment;" in response["Content-Disposition"]
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_csv_round_trips_to_the_dashboard_figures(client, alice, traded):
    sign_in(client, alice)
    data = client.get(f"/portfolio/bots/{traded.pk}/equity.json").json()
    summary = data["summary"]
    cycles = _rows(client.get(f"/portfolio/bots/{traded.pk}/cycles.csv"))
    assert len(cycles) == summary["cycles"] == len(data["cycles"]) >= 2
    # parsed back, the sums are the figures the dashboard card and the page show, exactly
    assert sum(Decimal(r["pnl_USDT"]) for r in cycles) == Decimal(summary["realised_exact"])
    assert sum(Decimal(r["fees_USDT"]) for r in cycles) == Decimal(summary["fees_exact"])
    assert all(r["pnl_USD"] == r["pnl_USDT"] for r in cycles)  # a USDT book: USD beside it is itself
    page = client.get(f"/portfolio/bots/{traded.pk}/").content.decode()
    shown = re.search(r'data-figure="realised" data-exact="([^"]+)"', page).group(1)
    assert Decimal(shown) == Decimal(summary["realised_exact"])
    # every trade id in the cycles file is the exchange's id of one of the bot's fills
    ids = set(Fill.objects.filter(bot=traded).values_list("trade_id", flat=True))
    listed = [t for r in cycles for t in r["trade_ids"].split()]
    assert listed and set(listed) <= ids and len(listed) == len(set(listed))
    fills = _rows(client.get(f"/portfolio/bots/{traded.pk}/fills.csv"))
    assert {r["trade_id"] for r in fills} == ids and len(fills) == len(ids)
    assert {"fee_USDT", "fee_USD", "fee_currency", "price", "qty"} <= set(fills[0])
    # the fills of the closed cycles carry those cycles' fees, to the last digit
    closed_ids = set(listed)
    fees = sum(Decimal(r["fee_USDT"]) for r in fills if r["trade_id"] in closed_ids)
    assert fees == Decimal(summary["fees_exact"])


def test_the_charts_data_and_the_page(client, alice, traded):
    sign_in(client, alice)
    data = client.get(f"/portfolio/bots/{traded.pk}/equity.json").json()
    assert data["unit"] == "USDT"
    assert len(data["points"]) == EquityPoint.objects.filter(bot=traded).count() > 4
    assert {p["kind"] for p in data["points"]} == {"hourly", "close"}
    page = client.get(f"/portfolio/bots/{traded.pk}/").content.decode()
    embedded = re.search(r'<script id="results-data" type="application/json">(.*?)</script>', page, re.S)
    assert json.loads(embedded.group(1))["summary"] == data["summary"]
    for section in ("summary", "equity", "closed-cycles-chart", "sides", "open", "cycles"):
        assert f'id="{section}"' in page
    assert "/static/portfolio/vendor/plotly.min.js" in page and "<script>" not in page
    table = page[page.index('<section class="panel" id="cycles">'):]
    assert table.count("<tr><td>long</td>") + table.count("<tr><td>short</td>") == data["summary"]["cycles"]
    dashboard = client.get("/dashboard/").content.decode()
    assert f'data-chart-url="/portfolio/bots/{traded.pk}/equity.json"' in dashboard
    assert f'href="/portfolio/bots/{traded.pk}/"' in dashboard


def test_only_the_owner_sees_them(client, alice, bob, traded):
    urls = [f"/portfolio/bots/{traded.pk}/{tail}" for tail in ("", "equity.json", "cycles.csv", "fills.csv")]
    for url in urls:
        assert client.get(url).status_code == 302  # to sign in
    sign_in(client, bob)
    for url in urls:
        assert client.get(url).status_code == 404
    assert client.get("/portfolio/bots/not-a-uuid/").status_code == 404


def test_a_bot_that_has_not_traded_yet(client, alice):
    from tests.trading.helpers import live_bot, parity_venue

    bot, _ = live_bot(alice, parity_venue(), {"sides": "long"})
    sign_in(client, alice)
    data = client.get(f"/portfolio/bots/{bot.pk}/equity.json").json()
    assert data["points"] == [] and data["cycles"] == [] and data["summary"]["equity"] is None
    page = client.get(f"/portfolio/bots/{bot.pk}/").content.decode()
    assert "No closed cycle yet." in page and 'data-figure="equity">—' in page
    assert _rows(client.get(f"/portfolio/bots/{bot.pk}/cycles.csv")) == []

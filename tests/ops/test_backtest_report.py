"""Issue 11 item 5: a strategy's page shows its backtest on the shipped candles, the report the
backtester writes, built by a real worker's job and kept per frozen version."""

from __future__ import annotations

import json

import pytest

from sequence.catalog.models import Strategy
from sequence.ops.models import BacktestReport
from tests.onboarding.helpers import catalog
from tests.ops.helpers import sign_in, with_app
from tests.support.eventually import eventually

pytestmark = pytest.mark.django_db(transaction=True)


def test_saving_a_strategy_builds_its_backtest_in_the_worker(client, operator, settings, worker):
    settings.DEMO = False
    with_app(operator)
    catalog()  # the exchanges
    sign_in(client, operator)
    saved = client.post("/ops/catalogue/new/", {
        "slug": "bt-one", "name": "BT One", "base_currency": "USDT", "min_balance": "100",
        "params": json.dumps({"sides": "both", "market": "derivatives"}),
        "markets": "bybit derivatives BTC/USDT:USDT"})
    assert saved.status_code == 302, saved.content.decode()
    strategy = Strategy.objects.get(slug="bt-one")
    report = eventually(lambda: BacktestReport.objects.filter(version__strategy=strategy).first(), timeout=60,
                        what="the backtest job's report")
    assert report.error == "" and "Backtest of" in report.html and report.candles.endswith(".csv.gz")
    page = client.get("/ops/catalogue/bt-one/").content.decode()
    assert "/ops/catalogue/bt-one/backtest/v1.html" in page and "open the report" in page
    served = client.get("/ops/catalogue/bt-one/backtest/v1.html")
    assert served.status_code == 200 and served.content.decode() == report.html
    assert served["Content-Security-Policy"].startswith("sandbox allow-scripts;")
    assert client.get("/ops/catalogue/bt-one/backtest/v9.html").status_code == 404
    # the cache: asking again for the same frozen version queues nothing
    client.post("/ops/catalogue/bt-one/backtest/")
    assert BacktestReport.objects.filter(version__strategy=strategy).count() == 1

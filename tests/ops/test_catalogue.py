"""Issue 11 item 5 (H2): strategies created and edited from the console; versions are frozen."""

from __future__ import annotations

import json

import pytest

from sequence.catalog.models import Offering, Strategy, StrategyVersion
from sequence.ops.models import AuditEvent
from tests.ops.helpers import sign_in, with_app

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("catalogued")]


def form(**over) -> dict:
    data = {"slug": "grid-one", "name": "Grid One", "description": "A test strategy", "base_currency": "USDT",
            "min_balance": "250", "params": json.dumps({"sides": "long", "market": "derivatives"}),
            "markets": "bybit derivatives BTC/USDT:USDT\nokx derivatives BTC/USDT:USDT"}
    data.update(over)
    return data


def test_create_then_edit_makes_a_new_frozen_version(ops, operator):
    response = ops.post("/ops/catalogue/new/", form())
    assert response.status_code == 302 and response.url == "/ops/catalogue/grid-one/"
    strategy = Strategy.objects.get(slug="grid-one")
    assert strategy.version == 1 and strategy.min_balance == 250
    assert set(Offering.objects.filter(strategy=strategy).values_list("exchange_id", flat=True)) == {"bybit", "okx"}
    v1 = StrategyVersion.objects.get(strategy=strategy, version=1)
    ops.post("/ops/catalogue/grid-one/", form(params=json.dumps({"sides": "long", "market": "derivatives",
                                                                   "wallet_exposure_limit": 0.6})))
    strategy.refresh_from_db()
    assert strategy.version == 2
    v1.refresh_from_db()
    assert v1.params == {"sides": "long", "market": "derivatives"}  # the old version is untouched
    assert StrategyVersion.objects.get(strategy=strategy, version=2).params["wallet_exposure_limit"] == 0.6
    ops.post("/ops/catalogue/grid-one/", form(params=json.dumps({"sides": "long", "market": "derivatives",
                                                                   "wallet_exposure_limit": 0.6}), name="Renamed"))
    strategy.refresh_from_db()
    assert strategy.version == 2 and strategy.name == "Renamed"  # same parameters, same version
    assert AuditEvent.objects.filter(action="catalog.strategy_saved", actor=operator).count() == 3
    with pytest.raises(RuntimeError):
        v1.save()


@pytest.mark.parametrize(("markets", "params", "message"), [
    ("kraken derivatives BTC/USD", {"sides": "both", "market": "derivatives"}, "Kraken positions are one-way"),
    ("bybit derivatives BTC/USD:BTC", {"sides": "both", "market": "derivatives", "contract": "inverse"},
     "Bybit inverse positions are one-way"),
    ("bybit derivatives BTC/USDT:USDT", {"sides": "sideways"}, "Strategy parameters: "),
    ("bybit spot BTC/USDT", {"sides": "long", "market": "derivatives"}, "but bybit spot is listed"),
    ("nowhere spot BTC/USDT", {"sides": "long", "market": "spot"}, "unknown exchange “nowhere”"),
])
def test_validation_refuses_with_a_sentence(ops, markets, params, message):
    page = ops.post("/ops/catalogue/new/", form(markets=markets, params=json.dumps(params)))
    assert page.status_code == 200 and message in page.content.decode()
    assert not Strategy.objects.filter(slug="grid-one").exists()


def test_bad_form_values_are_messages_not_errors(ops):
    for over, message in [({"params": "{not json"}, "not valid JSON"), ({"params": "[1]"}, "JSON object"),
                          ({"min_balance": "lots"}, "must be a number"), ({"min_balance": "-1"}, "above zero"),
                          ({"base_currency": "DOGE"}, "base currency must be one of"),
                          ({"slug": "usdt-spot-dca"}, "taken")]:
        page = ops.post("/ops/catalogue/new/", form(**over))
        assert page.status_code == 200 and message in page.content.decode(), over


def test_a_catalogue_change_needs_a_fresh_second_factor(client, operator, settings):
    settings.DEMO = False
    with_app(operator)
    sign_in(client, operator, factor_age=30 * 60)
    assert client.post("/ops/catalogue/new/", form()).url == "/signin/confirm/"
    assert not Strategy.objects.filter(slug="grid-one").exists()

"""The demo catalogue: realistic strategies on the exchanges the guide names."""

from __future__ import annotations

from decimal import Decimal

from sequence.catalog.services import exchanges_ensure, offering_ensure, strategy_upsert

USDT_PERP = "BTC/USDT:USDT"
BTC_INVERSE = "BTC/USD:BTC"

DEMO_STRATEGIES = [
    dict(slug="btc-accumulator", name="BTC Accumulator", base_currency="BTC", min_balance=Decimal("0.01"),
         description="Accumulates BTC on Bybit's coin-margined (inverse) perpetual; long side only, as Bybit's "
                     "inverse contracts are one-way.",
         params={"sides": "long", "contract": "inverse", "market": "derivatives", "wallet_exposure_limit": 0.5},
         offerings=[("bybit", "derivatives", BTC_INVERSE)]),
    dict(slug="usdt-spot-dca", name="USDT Spot DCA", base_currency="USDT", min_balance=Decimal("500"),
         description="Grows a USDT balance by buying BTC dips on spot and selling the recoveries.",
         params={"sides": "long", "market": "spot", "wallet_exposure_limit": 0.8},
         offerings=[("bybit", "spot", "BTC/USDT"), ("okx", "spot", "BTC/USDT"), ("kucoin", "spot", "BTC/USDT")]),
    dict(slug="usdt-perp-hedge", name="USDT Perpetual Bidirectional", base_currency="USDT",
         min_balance=Decimal("1000"),
         description="Both sides at once in hedge mode on the USDT-margined BTC perpetual.",
         params={"sides": "both", "market": "derivatives", "contract": "linear"},
         offerings=[("bybit", "derivatives", USDT_PERP), ("okx", "derivatives", USDT_PERP),
                    ("binance", "derivatives", USDT_PERP)]),
    dict(slug="eth-accumulator", name="ETH Accumulator", base_currency="ETH", min_balance=Decimal("0.5"),
         invite_only=True,
         description="Accumulates ETH on the coin-margined perpetual. Invite Only.",
         params={"sides": "long", "contract": "inverse", "market": "derivatives", "wallet_exposure_limit": 0.4},
         offerings=[("bybit", "derivatives", "ETH/USD:ETH")]),
    dict(slug="kraken-spot", name="Kraken Spot DCA", base_currency="USDT", min_balance=Decimal("500"),
         description="The spot strategy on Kraken.",
         params={"sides": "long", "market": "spot"},
         offerings=[("kraken", "spot", "BTC/USDT"), ("binanceus", "spot", "BTC/USDT")]),
]


def seed_catalog() -> None:
    exchanges_ensure()
    for spec in DEMO_STRATEGIES:
        spec = dict(spec)
        offerings = spec.pop("offerings")
        strategy = strategy_upsert(**spec)
        for exchange, market, symbol in offerings:
            offering_ensure(strategy=strategy, exchange_slug=exchange, market=market, symbol=symbol)

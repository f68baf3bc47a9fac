"""Bybit and OKX adapters against the simulated exchange over real HTTP, with real ccxt.

Only the base URL differs from production (``ExchangeConfig.api_url``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from sequence.exchanges.adapters.base import MarketCache
from sequence.exchanges.config import ExchangeConfig
from sequence.exchanges.domain import (
    MarketKind,
    OrderRequest,
    OrderStatus,
    PositionMode,
    Side,
)
from sequence.exchanges.errors import AuthenticationError, DuplicateClientOrderIdError
from sequence.exchanges.factory import create_adapter
from sequence.exchanges.secret import Credentials
from sequence.exchanges.verify import verify_key
from tests.exchanges.conftest import TRADE_ONLY, run
from tests.exchanges.conftest import emulator_adapter as _adapter
from tests.exchanges.conftest import venue_account as _account

EGRESS = ("127.0.0.1",)


@pytest.mark.parametrize("exchange", ["bybit", "okx"])
def test_port_round_trip(venue, exchange):
    key = _account(venue, exchange)

    async def scenario():
        async with _adapter(venue, exchange, "linear", key) as ad:
            markets = await ad.load_markets()
            market = markets["BTC/USDT:USDT"]
            assert market.price_tick and market.amount_step
            wallet = await ad.fetch_balance()
            assert wallet.get("USDT").total == Decimal(1000)
            qty = max(market.min_amount or Decimal(1), market.amount_step)
            order = await ad.create_order(OrderRequest(
                "BTC/USDT:USDT", Side.BUY, qty, Decimal(20000), "emuA1"))
            assert order.id
            with pytest.raises(DuplicateClientOrderIdError):
                await ad.create_order(OrderRequest(
                    "BTC/USDT:USDT", Side.BUY, qty, Decimal(20000), "emuA1"))
            [open_order] = await ad.fetch_open_orders("BTC/USDT:USDT")
            assert open_order.client_order_id == "emuA1"
            assert open_order.price == Decimal(20000) and open_order.status is OrderStatus.OPEN
            found = await ad.fetch_order_by_client_id("BTC/USDT:USDT", "emuA1")
            assert found is not None and found.id == order.id
            await ad.cancel_order("BTC/USDT:USDT", client_order_id="emuA1")
            assert await ad.fetch_open_orders("BTC/USDT:USDT") == []
            gone = await ad.fetch_order_by_client_id("BTC/USDT:USDT", "emuA1")
            assert gone is None or gone.status is OrderStatus.CANCELED
            assert await ad.fetch_positions(["BTC/USDT:USDT"]) == []
            since = datetime.now(UTC) - timedelta(days=1)
            assert isinstance(await ad.fetch_fills(since, "BTC/USDT:USDT"), list)
            assert isinstance(await ad.fetch_ledger(since, "USDT"), list)
            assert await ad.fetch_position_mode("BTC/USDT:USDT") is PositionMode.ONE_WAY
            await ad.set_position_mode(PositionMode.HEDGE, "BTC/USDT:USDT")
            info = await ad.fetch_key_info()
            assert info.ips == ("127.0.0.1",) and not info.withdraw_permissions

    run(scenario())


@pytest.mark.parametrize("exchange", ["bybit", "okx"])
def test_inverse_balance_and_markets(venue, exchange):
    key = _account(venue, exchange)

    async def scenario():
        async with _adapter(venue, exchange, "inverse", key) as ad:
            markets = await ad.load_markets()
            assert markets["BTC/USD:BTC"].kind is MarketKind.INVERSE
            assert (await ad.fetch_balance()).get("BTC").total == Decimal(1)
            assert await ad.fetch_positions(["BTC/USD:BTC"]) == []

    run(scenario())


@pytest.mark.parametrize("exchange", ["bybit", "okx"])
def test_verify_key_over_http(venue, exchange):
    good = _account(venue, exchange, usdt="120")
    creds = Credentials.of(good.api_key, good.secret, good.passphrase or None)
    config = ExchangeConfig(exchange, api_url=venue.url)
    result = run(verify_key(exchange, "linear", creds, "USDT", Decimal(500),
                            egress_ips=EGRESS, config=config))
    assert result.codes() == ("insufficient_funds",), result.problems
    bad = Credentials.of(good.api_key, "0" * len(good.secret), good.passphrase or None)
    result = run(verify_key(exchange, "linear", bad, "USDT", Decimal(1), egress_ips=EGRESS,
                            config=config))
    assert result.codes() == ("key_invalid",)
    perms = ({**TRADE_ONLY, "Wallet": ["Withdraw"]} if exchange == "bybit"
             else ["read_only", "trade", "withdraw"])
    w = _account(venue, exchange, permissions=perms)
    creds = Credentials.of(w.api_key, w.secret, w.passphrase or None)
    result = run(verify_key(exchange, "linear", creds, "USDT", Decimal(1), egress_ips=EGRESS,
                            config=config))
    assert "withdraw_permission" in result.codes()


def test_bad_key_raises_authentication_error(venue):
    key = _account(venue, "bybit")
    creds = Credentials.of(key.api_key, "x" * 36)

    async def scenario():
        async with create_adapter(ExchangeConfig("bybit", api_url=venue.url), "linear",
                                  creds, market_cache=MarketCache()) as ad:
            with pytest.raises(AuthenticationError) as info:
                await ad.fetch_balance()
            assert "x" * 36 not in str(info.value)

    run(scenario())


def test_ledger_entries_dated_after_the_servers_clock_are_read():
    """A simulated exchange whose market clock runs ahead of its wall clock (the demo's
    accelerated clock; a paused one moved on by tests) dates its records after the server
    time the adapter reads: the last 7-day window is not cut at that time, so they are read
    now rather than never (a withdrawal the engine never saw kept a bot paused for good)."""
    from sequence.venue import running_venue

    with running_venue(candles=None, speed=0, price=30000.0) as venue:
        venue.admin.advance(candles=6 * 60)  # the market six hours ahead of the wall clock
        key = _account(venue, "bybit", usdt="5000")
        market_now = int(venue.admin.clock()["market_ms"])
        assert market_now > int(datetime.now(tz=UTC).timestamp() * 1000) + 3 * 3600_000
        venue.admin.withdraw(key.account_id, "USDT", Decimal("250"), wallet="trading")

        async def scenario():
            async with _adapter(venue, "bybit", "linear", key) as ad:
                since = datetime.fromtimestamp((market_now - 60_000) / 1000, UTC)
                return await ad.fetch_ledger(since)

        entries = run(scenario())
    assert Decimal("-250") in [e.amount for e in entries if e.currency == "USDT"]

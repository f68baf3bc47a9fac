"""The engine's launch calls (ticker, margin mode, leverage) over real HTTP and real ccxt,
against the simulated exchange: the endpoint allow-list lets exactly these through."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sequence.exchanges.domain import MarginMode, PositionMode
from tests.exchanges.conftest import emulator_adapter as _adapter
from tests.exchanges.conftest import run
from tests.exchanges.conftest import venue_account as _account


@pytest.mark.parametrize("exchange", ["bybit", "okx"])
def test_launch_settings_and_ticker(venue, exchange):
    key = _account(venue, exchange)

    async def scenario():
        async with _adapter(venue, exchange, "linear", key) as ad:
            ticker = await ad.fetch_ticker("BTC/USDT:USDT")
            assert ticker.symbol == "BTC/USDT:USDT"
            assert ticker.bid is not None and ticker.ask is not None and ticker.bid <= ticker.ask
            assert Decimal(20000) < ticker.last < Decimal(40000)  # the venue trades at 30000
            await ad.set_position_mode(PositionMode.HEDGE, "BTC/USDT:USDT")
            await ad.set_margin_mode("BTC/USDT:USDT", MarginMode.CROSS)
            await ad.set_margin_mode("BTC/USDT:USDT", MarginMode.CROSS)  # already: success
            await ad.set_leverage("BTC/USDT:USDT", Decimal(5))
            await ad.set_leverage("BTC/USDT:USDT", Decimal(5))  # unchanged: success
            if exchange == "okx":  # account-wide posMode, read back from account/config
                assert await ad.fetch_position_mode("BTC/USDT:USDT") is PositionMode.HEDGE

    run(scenario())

"""A real exchange may not date its ticker (ccxt reads no time from Bybit's ticker rows): the step
then takes the wall clock as market time, so its first read of fills starts an hour back, not at 1970."""

from __future__ import annotations

import dataclasses
from datetime import datetime

import pytest

from sequence.trading.models import BotEngine
from tests.trading.helpers import live_bot, parity_venue, step

pytestmark = pytest.mark.django_db


class UndatedTicker:
    def __init__(self, inner) -> None:
        self._inner = inner
        self.fill_reads: list[datetime] = []

    def __getattr__(self, name):
        return getattr(self._inner, name)

    async def fetch_ticker(self, symbol):
        return dataclasses.replace(await self._inner.fetch_ticker(symbol), timestamp=None)

    async def fetch_fills(self, since, symbol=None):
        self.fill_reads.append(since)
        return await self._inner.fetch_fills(since, symbol)


def test_an_undated_ticker_reads_fills_from_an_hour_before_now(alice):
    from sequence.trading import engine_jobs

    venue = parity_venue()
    bot, port = live_bot(alice, venue, {"sides": "long"})
    undated = UndatedTicker(port)
    venue.step()
    step(bot, undated)
    wall = engine_jobs.CLOCK.now_ms()
    first = undated.fill_reads[0].timestamp() * 1000
    assert wall - 2 * 3_600_000 < first < wall  # an hour (plus the re-read window) back, not the epoch
    assert BotEngine.objects.get(bot=bot).last_market_ms > wall - 60_000

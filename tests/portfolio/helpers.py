"""A linear bot that has traded on an in-process venue, with its equity points recorded."""

from __future__ import annotations

from datetime import UTC, datetime

from sequence.portfolio.services import record_equity_points
from tests.trading.helpers import live_bot, parity_venue, run

PARAMS = {"sides": "both", "markup": 0.002, "initial_qty_pct": 0.02}


def traded_bot(user, candles=240, every=5):
    """The bot, its port and venue, after ``candles`` steps with the recording job run every
    ``every`` market minutes (within the job's CLOSE_LOOKBACK, so every close gets its point)."""
    venue = parity_venue()
    bot, port = live_bot(user, venue, PARAMS)
    for _ in range(candles // every):
        run(bot, port, venue, every)
        record_equity_points(now=datetime.now(tz=UTC))
    return bot, port, venue

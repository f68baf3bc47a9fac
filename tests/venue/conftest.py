"""One simulated exchange per test module, paused (speed 0): tests move the clock."""

from __future__ import annotations

import pytest

from sequence.venue import running_venue
from tests.support.strategy_data import MAIN_SET

CANDLES = str(MAIN_SET)


@pytest.fixture(scope="module")
def venue():
    with running_venue(CANDLES, speed=0) as v:
        yield v


@pytest.fixture
def funded(venue):
    """A fresh account with 10,000 USDT and 1 BTC in its trading wallet."""

    def make(name="alice", **key_options):
        acct = venue.admin.create_account(name=name)
        venue.admin.fund(acct, "USDT", "10000", wallet="trading")
        venue.admin.fund(acct, "BTC", "1", wallet="trading")
        return acct

    return make

from __future__ import annotations

import asyncio
import time

import pytest

from sequence.exchanges.adapters.base import MarketCache
from sequence.exchanges.config import ExchangeConfig
from sequence.exchanges.factory import create_adapter
from sequence.exchanges.ratelimit import reset_rate_limiters
from sequence.exchanges.secret import Credentials
from sequence.venue import running_venue

# Canary credentials: tests assert these strings never show up in reprs, errors or logs.
CANARY_KEY = "CANARYKEYx7Qm2Lr9Tz4W"
CANARY_SECRET = "CANARYSECRETp3Vn8Hs1Kd6Yb0Jf5Xc2Ge9Ua4Mw7Rt"
CANARY_PASS = "CANARYPASSphrase42"


def run(coro):
    return asyncio.run(coro)


@pytest.fixture(autouse=True)
def _fresh_rate_limiters():
    """Buckets are process-wide: without this a test inherits the rate of whichever test
    created the (exchange, IP) bucket first, and paged reads crawl at 10 requests/s."""
    reset_rate_limiters()
    yield
    reset_rate_limiters()


@pytest.fixture
def creds() -> Credentials:
    return Credentials.of(CANARY_KEY, CANARY_SECRET, CANARY_PASS)


@pytest.fixture
def make_adapter(creds):
    """Adapter with a fresh market cache, no clock sync, no network (tests patch fetch)."""
    cache = MarketCache()

    def make(exchange: str, kind: str = "linear", credentials=creds, **config):
        config.setdefault("sync_time", False)
        config.setdefault("rate_per_second", 1e6)
        config.setdefault("burst", 1e6)
        config.setdefault("account_throttle", False)  # fake transports: no exchange to pace for
        return create_adapter(ExchangeConfig(exchange, **config), kind, credentials,
                              market_cache=cache)

    return make


# --- over HTTP against the simulated exchange -----------------------------------------------

TRADE_ONLY = {"ContractTrade": ["Order", "Position"], "Spot": ["SpotTrade"], "Wallet": []}


@pytest.fixture(scope="module")
def venue():
    with running_venue(price=30000.0, speed=0) as v:
        yield v


def emulator_adapter(venue, exchange, kind, key):
    """Our adapter for `key`, pointed at the simulated exchange (only the base URL differs)."""
    creds = Credentials.of(key.api_key, key.secret, key.passphrase or None)
    return create_adapter(ExchangeConfig(exchange, api_url=venue.url, egress_ip="test"),
                          kind, creds, market_cache=MarketCache())


def venue_account(venue, exchange, usdt="1000", **key):
    """A funded account (USDT and 1 BTC in the trading wallet) and a trade-only key on it."""
    acct = venue.admin.create_account(name=f"{exchange}-{time.monotonic_ns()}")
    venue.admin.fund(acct, "USDT", usdt, wallet="trading")
    venue.admin.fund(acct, "BTC", "1", wallet="trading")
    if exchange == "bybit":
        key.setdefault("permissions", TRADE_ONLY)
    else:
        key.setdefault("permissions", ["read_only", "trade"])
    key.setdefault("ips", ["127.0.0.1"])
    return venue.admin.create_key(acct, exchange=exchange, **key)

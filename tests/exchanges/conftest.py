from __future__ import annotations

import asyncio

import pytest

from sequence.exchanges.adapters.base import MarketCache
from sequence.exchanges.config import ExchangeConfig
from sequence.exchanges.factory import create_adapter
from sequence.exchanges.secret import Credentials

# Canary credentials: tests assert these strings never show up in reprs, errors or logs.
CANARY_KEY = "CANARYKEYx7Qm2Lr9Tz4W"
CANARY_SECRET = "CANARYSECRETp3Vn8Hs1Kd6Yb0Jf5Xc2Ge9Ua4Mw7Rt"
CANARY_PASS = "CANARYPASSphrase42"


def run(coro):
    return asyncio.run(coro)


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
        return create_adapter(ExchangeConfig(exchange, **config), kind, credentials,
                              market_cache=cache)

    return make

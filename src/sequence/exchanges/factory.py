"""Build the adapter for an exchange and market kind."""

from __future__ import annotations

from typing import Any

from sequence.exchanges.adapters.base import CcxtAdapter, MarketCache
from sequence.exchanges.adapters.binance import BinanceAdapter, BinanceUsAdapter
from sequence.exchanges.adapters.bybit import BybitAdapter
from sequence.exchanges.adapters.kraken import KrakenAdapter
from sequence.exchanges.adapters.kucoin import KucoinAdapter
from sequence.exchanges.adapters.okx import OkxAdapter
from sequence.exchanges.config import EXCHANGE_IDS, ExchangeConfig
from sequence.exchanges.domain import MarketKind
from sequence.exchanges.secret import Credentials

__all__ = ["ADAPTERS", "create_adapter"]

# Keyed by each class's own ``exchange``: the registry (config.EXCHANGES) says which exist.
ADAPTERS: dict[str, type[CcxtAdapter]] = {cls.exchange: cls for cls in (
    BybitAdapter, OkxAdapter, KucoinAdapter, KrakenAdapter, BinanceAdapter, BinanceUsAdapter)}
if set(ADAPTERS) != set(EXCHANGE_IDS):  # an exchange without an adapter, or the reverse
    raise ImportError(f"adapters {sorted(ADAPTERS)} do not match the exchanges {EXCHANGE_IDS}")


def create_adapter(config: ExchangeConfig, kind: MarketKind | str,
                   credentials: Credentials | None = None, *,
                   market_cache: MarketCache | None = None, session: Any = None) -> CcxtAdapter:
    """The adapter (an :class:`~sequence.exchanges.port.ExchangePort`) for one account.

    ``session``: an aiohttp ``ClientSession`` to share between instances (optional).
    Close the adapter with ``await adapter.close()`` or ``async with``.
    """
    return ADAPTERS[config.exchange](config, kind, credentials, market_cache=market_cache,
                                     session=session)

"""Markets loaded once per venue and market kind, shared by every adapter in the process."""

from __future__ import annotations

import threading

from sequence.exchanges.domain import Market

__all__ = ["MarketCache", "default_market_cache"]


class MarketCache:
    """ccxt markets loaded once per (venue class, base URL, market kind), shared process-wide."""

    def __init__(self) -> None:
        self._data: dict[tuple, tuple[dict, dict | None, dict[str, Market], dict]] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple) -> tuple[dict, dict | None, dict[str, Market], dict] | None:
        with self._lock:
            return self._data.get(key)

    def put(self, key: tuple, markets: dict, currencies: dict | None,
            parsed: dict[str, Market], helpers: dict | None = None) -> None:
        with self._lock:
            self._data[key] = (markets, currencies, parsed, helpers or {})

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


_DEFAULT_CACHE = MarketCache()


def default_market_cache() -> MarketCache:
    return _DEFAULT_CACHE

"""Markets loaded once per venue and market kind, shared by every adapter in the process."""

from __future__ import annotations

import threading
from typing import Any

from sequence.exchanges.domain import Market

__all__ = ["MarketCache", "default_market_cache"]


class MarketCache:
    """ccxt markets loaded once per (venue class, base URL, market kind), shared process-wide."""

    def __init__(self) -> None:
        self._data: dict[tuple[Any, ...], tuple[dict[str, Any], dict[str, Any] | None, dict[str, Market], dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...]) -> tuple[dict[str, Any], dict[str, Any] | None, dict[str, Market], dict[str, Any]] | None:
        with self._lock:
            return self._data.get(key)

    def put(self, key: tuple[Any, ...], markets: dict[str, Any], currencies: dict[str, Any] | None,
            parsed: dict[str, Market], helpers: dict[str, Any] | None = None) -> None:
        with self._lock:
            self._data[key] = (markets, currencies, parsed, helpers or {})

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


_DEFAULT_CACHE = MarketCache()


def default_market_cache() -> MarketCache:
    return _DEFAULT_CACHE

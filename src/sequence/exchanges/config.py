"""Adapter configuration. The package reads no environment: the Django side passes settings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["API_URL_SETTINGS", "EXCHANGE_IDS", "ExchangeConfig", "configs_from_settings"]

EXCHANGE_IDS = ("bybit", "okx", "kucoin", "kraken", "binance", "binanceus")
# The one setting per exchange that may differ between the real venue and the emulator.
API_URL_SETTINGS: dict[str, str] = {
    "bybit": "BYBIT_API_URL",
    "okx": "OKX_API_URL",
    "kucoin": "KUCOIN_API_URL",
    "kraken": "KRAKEN_API_URL",
    "binance": "BINANCE_API_URL",
    "binanceus": "BINANCEUS_API_URL",
}


@dataclass(frozen=True, slots=True)
class ExchangeConfig:
    """How to reach one exchange.

    ``api_url``: base URL replacing the venue's host (``http://127.0.0.1:8765`` for the
    emulator); ``None`` = the real exchange. ``egress_ip``: the public IP this process sends
    from; with ``exchange`` it keys the shared rate limiter. ``rate_per_second`` and ``burst``
    are in ccxt cost units (default: ccxt's ``1000 / rateLimit``, one second of burst).
    """

    exchange: str
    api_url: str | None = None
    egress_ip: str = ""
    timeout_ms: int = 10_000
    rate_per_second: float | None = None
    burst: float | None = None
    time_sync_samples: int = 5
    sync_time: bool = True  # sync the server clock before the first signed call

    def __post_init__(self) -> None:
        if self.exchange not in EXCHANGE_IDS:
            raise ValueError(f"unknown exchange {self.exchange!r}; expected one of {EXCHANGE_IDS}")
        if self.api_url is not None and not self.api_url.startswith(("http://", "https://")):
            raise ValueError(f"{API_URL_SETTINGS[self.exchange]} must be an http(s) URL")


def configs_from_settings(settings: Mapping[str, object], *, egress_ip: str = ""
                          ) -> dict[str, ExchangeConfig]:
    """Build one config per exchange from a settings mapping (``BYBIT_API_URL`` ...)."""
    out = {}
    for exchange, name in API_URL_SETTINGS.items():
        url = settings.get(name) or None
        out[exchange] = ExchangeConfig(exchange, api_url=str(url).rstrip("/") if url else None,
                                       egress_ip=egress_ip)
    return out

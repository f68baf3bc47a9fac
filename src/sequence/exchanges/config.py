"""The exchanges the platform knows (the one list), and adapter configuration.

:data:`EXCHANGES` is the single definition of which exchanges exist, in the guide's order,
and of what each one needs: its name, its key form's fields, its settings name, its request
budget. Everything else that lists exchanges (credential fields, verification names, the
adapter table, the catalogue rows, the ``*_API_URL`` settings) is derived from it.

The package reads no environment: the Django side passes settings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = [
    "API_URL_SETTINGS",
    "EXCHANGES",
    "EXCHANGE_IDS",
    "ExchangeConfig",
    "ExchangeInfo",
    "configs_from_settings",
]


@dataclass(frozen=True, slots=True)
class ExchangeInfo:
    """What the platform knows about one exchange.

    ``credential_fields``: the key form's fields in the guide's order; empty means the
    exchange is not connected by key form (the client contacts support). ``rate_per_ip``:
    requests per second per egress IP that all our processes on that IP share (Bybit allows
    600 per 5 s; we keep a margin). ``operator_check``: submissions are flagged for a person.
    """

    id: str
    name: str
    credential_fields: tuple[str, ...]
    notice: str
    rate_per_ip: float
    operator_check: bool = False

    @property
    def api_url_setting(self) -> str:
        """The one setting that may differ between the real venue and the emulator."""
        return f"{self.id.upper()}_API_URL"

    @property
    def key_form(self) -> bool:
        return bool(self.credential_fields)


EXCHANGES: dict[str, ExchangeInfo] = {e.id: e for e in (
    ExchangeInfo("bybit", "Bybit", ("api_key", "api_secret"), rate_per_ip=120.0, notice=(
        "Create the key on the dedicated sub-account, with trade permissions only (no "
        "Withdraw, no Transfer).")),
    ExchangeInfo("okx", "OKX", ("api_name", "passphrase", "api_key", "api_secret"),
                 rate_per_ip=60.0, notice=(
                     "Keep the passphrase you chose when creating the key: OKX cannot show it "
                     "again.")),
    ExchangeInfo("kucoin", "KuCoin", ("api_name", "passphrase", "api_key", "api_secret"),
                 rate_per_ip=100.0, notice=(
                     "Give the key General and Trade permissions only (no Transfer).")),
    ExchangeInfo("kraken", "Kraken", ("api_key", "private_key"), rate_per_ip=15.0,
                 operator_check=True, notice=(
                     "Kraken keys need a check by our team: please contact support after "
                     "submitting.")),
    ExchangeInfo("binance", "Binance International", (), rate_per_ip=100.0, notice=(
        "Binance connects through an alternate connection method: we will send your request "
        "to support.")),
    ExchangeInfo("binanceus", "Binance US", (), rate_per_ip=100.0, notice=(
        "Binance US connects through an alternate connection method: we will send your "
        "request to support.")),
)}
EXCHANGE_IDS = tuple(EXCHANGES)
API_URL_SETTINGS: dict[str, str] = {e.id: e.api_url_setting for e in EXCHANGES.values()}


@dataclass(frozen=True, slots=True)
class ExchangeConfig:
    """How to reach one exchange.

    ``api_url``: base URL replacing the venue's host (``http://127.0.0.1:8765`` for the
    emulator); ``None`` = the real exchange. ``egress_ip``: the public IP this process sends
    from; with ``exchange`` and the host it keys the shared per-IP rate limiter, whose
    ``rate_per_second`` and ``burst`` count requests (default: ccxt's ``1000 / rateLimit``, one
    second of burst). Each account's own limit is ccxt's throttle, with its endpoint costs.
    """

    exchange: str
    api_url: str | None = None
    egress_ip: str = ""
    timeout_ms: int = 10_000
    rate_per_second: float | None = None
    burst: float | None = None
    account_throttle: bool = True  # ccxt's per-account pacing; off only where nothing real answers
    account_rate_scale: float = 1.0  # its speed-up (a simulated exchange with raised limits: tests)
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

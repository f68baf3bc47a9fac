"""The exchange layer: one port, ccxt adapters, key verification. No withdraw, no transfer.

Names are loaded on first use (PEP 562), so that importing the light parts (the exchange
registry in :mod:`.config`, from Django settings) does not import ccxt.
"""

from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "config": ("API_URL_SETTINGS", "EXCHANGES", "ExchangeConfig", "ExchangeInfo",
               "configs_from_settings"),
    "credentials": ("CREDENTIAL_FIELDS", "SECRET_FIELDS", "CredentialCheck",
                    "check_credentials", "normalise_credentials"),
    "domain": ("Balance", "Fill", "KeyInfo", "LedgerEntry", "LedgerKind", "MarginMode", "Market",
               "MarketKind", "Order", "OrderRequest", "OrderStatus", "Position", "PositionMode",
               "PositionSide", "Side", "Ticker", "WalletBalance"),
    "factory": ("create_adapter",),
    "port": ("ExchangePort",),
    "secret": ("Credentials", "Secret"),
    "verify": ("KeyFacts", "Problem", "VerificationResult", "verify_key", "verify_key_sync"),
}
_MODULE_OF = {name: module for module, names in _WHERE.items() for name in names}
__all__ = sorted(_MODULE_OF)


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__

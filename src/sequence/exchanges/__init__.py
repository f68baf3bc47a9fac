"""The exchange layer: one port, ccxt adapters, key verification. No withdraw, no transfer."""

from sequence.exchanges.config import API_URL_SETTINGS, ExchangeConfig, configs_from_settings
from sequence.exchanges.credentials import CREDENTIAL_FIELDS, CredentialCheck, check_credentials
from sequence.exchanges.domain import (
    Balance,
    Fill,
    KeyInfo,
    LedgerEntry,
    LedgerKind,
    MarginMode,
    Market,
    MarketKind,
    Order,
    OrderRequest,
    OrderStatus,
    Position,
    PositionMode,
    PositionSide,
    Side,
    Ticker,
    WalletBalance,
)
from sequence.exchanges.factory import create_adapter
from sequence.exchanges.port import ExchangePort
from sequence.exchanges.secret import Credentials, Secret
from sequence.exchanges.verify import (
    KeyFacts,
    Problem,
    VerificationResult,
    verify_key,
    verify_key_sync,
)

__all__ = [
    "API_URL_SETTINGS", "CREDENTIAL_FIELDS", "Balance", "CredentialCheck", "Credentials",
    "ExchangeConfig", "ExchangePort", "Fill", "KeyFacts", "KeyInfo", "LedgerEntry",
    "LedgerKind", "MarginMode", "Market", "MarketKind", "Order", "OrderRequest", "OrderStatus", "Position",
    "PositionMode", "PositionSide", "Problem", "Secret", "Side", "Ticker", "VerificationResult",
    "WalletBalance", "check_credentials", "configs_from_settings", "create_adapter",
    "verify_key", "verify_key_sync",
]

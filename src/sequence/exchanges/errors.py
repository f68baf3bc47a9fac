"""Our exchange error taxonomy and the ccxt -> ours mapping.

::

    ExchangeError
    ├── RetryableError            network, timeouts, 5xx, maintenance: try again later
    │   ├── RateLimitedError      slow down (our shared bucket should prevent it)
    │   └── ClockSkewError        timestamp outside the venue's window: resync, then retry
    └── PermanentError            retrying the same request gives the same answer
        ├── AuthenticationError   key unknown, bad signature, key expired
        ├── PermissionError_      the key lacks a right, or the IP is not whitelisted
        ├── InsufficientFundsError
        ├── InvalidOrderError
        │   └── DuplicateClientOrderIdError   the order exists: fetch it by client id
        ├── OrderNotFoundError
        ├── ForbiddenOperationError  any endpoint not on the adapter's allow-list (ours)
        ├── MalformedResponseError   the venue sent a value we cannot read (an amount "abc")
        └── NotSupportedError

A timeout on ``create_order`` is a ``RetryableError`` but the request may have reached the
exchange: never resend blindly, look the client order id up first (SECURITY.md section 3).
Messages never contain credentials: :func:`map_ccxt_error` removes any credential value.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TypedDict

import ccxt

__all__ = [
    "AuthenticationError",
    "ClockSkewError",
    "DuplicateClientOrderIdError",
    "ExchangeError",
    "ForbiddenOperationError",
    "InsufficientFundsError",
    "InvalidOrderError",
    "MalformedResponseError",
    "NotSupportedError",
    "OrderNotFoundError",
    "PermanentError",
    "PermissionDeniedError",
    "RateLimitedError",
    "RetryableError",
    "map_ccxt_error",
]


class ExchangeError(Exception):
    """Base of every error the exchange layer raises. ``code`` is the venue's code if known."""

    retryable = False

    def __init__(self, message: str, *, exchange: str | None = None, code: str | None = None):
        super().__init__(message)
        self.exchange = exchange
        self.code = code


class RetryableError(ExchangeError):
    retryable = True


class RateLimitedError(RetryableError):
    pass


class ClockSkewError(RetryableError):
    pass


class PermanentError(ExchangeError):
    pass


class AuthenticationError(PermanentError):
    """Unknown key, bad signature or passphrase, expired key. ``expired`` if the venue says so."""

    def __init__(self, message: str, *, exchange: str | None = None, code: str | None = None,
                 expired: bool = False):
        super().__init__(message, exchange=exchange, code=code)
        self.expired = expired


class PermissionDeniedError(PermanentError):
    """The key lacks a permission, or the request came from a non-whitelisted IP."""

    def __init__(self, message: str, *, exchange: str | None = None, code: str | None = None,
                 ip_not_allowed: bool = False):
        super().__init__(message, exchange=exchange, code=code)
        self.ip_not_allowed = ip_not_allowed


class InsufficientFundsError(PermanentError):
    pass


class InvalidOrderError(PermanentError):
    pass


class DuplicateClientOrderIdError(InvalidOrderError):
    pass


class OrderNotFoundError(PermanentError):
    pass


class ForbiddenOperationError(PermanentError):
    """Raised by our allow-list guard: the call was never sent."""


class NotSupportedError(PermanentError):
    pass


class MalformedResponseError(PermanentError):
    """A value in the venue's reply cannot be read (an amount that is not a number).

    Raised instead of guessing: a malformed balance read as 0 would look like an empty
    account and a malformed fill like a fill at price 0.
    """


# Venue codes ccxt maps to InvalidOrder / generic errors that mean "client id already used".
DUPLICATE_CLIENT_ID_CODES: dict[str, frozenset[str]] = {
    "bybit": frozenset({"110072"}),
    "okx": frozenset({"51016"}),
    "kucoin": frozenset({"126044"}),
    "kucoinfutures": frozenset({"126044"}),
}
_DUPLICATE_WORDS = re.compile(
    r"duplicate(d)? (client|clOrdId|orderLinkId|order ?link)|clOrdId.*(already|duplicat)|"
    r"orderLinkId.*(already|duplicat)|clientOid.*(already|duplicat)|"
    r"client ?order ?id (already|is duplicat)|Duplicate order sent",
    re.IGNORECASE,
)
# Codes saying the key expired (ccxt maps them to AuthenticationError).
_EXPIRED_CODES = {"bybit": frozenset({"33004"})}
# Codes/words that mean "request IP not in the key's whitelist".
_IP_CODES = {
    "bybit": frozenset({"10010"}),
    "okx": frozenset({"50110"}),
    "kucoin": frozenset({"400006"}),
    "kucoinfutures": frozenset({"400006"}),
    "binance": frozenset({"-2015"}),
    "binanceus": frozenset({"-2015"}),
}
_IP_WORDS = re.compile(r"\bIP\b.*(not|whitelist|allow)|unmatched ip|invalid ip", re.IGNORECASE)
_CODE_RE = re.compile(
    r'"(?:retCode|code|ret_code|sCode)"\s*:\s*"?(-?\d+)"?|"error"\s*:\s*\[\s*"([A-Z]\w+:[^"]*)"'
)
# OKX order calls answer {"code":"1","data":[{"sCode":"51016",...}]}: the envelope's "1"
# ("all operations failed") says nothing; the per-order sCode is the venue's real code.
_SCODE_RE = re.compile(r'"sCode"\s*:\s*"?(-?\d+)"?')


def _codes(message: str) -> set[str]:
    out: set[str] = set()
    for m in _CODE_RE.finditer(message):
        if m.group(1) and m.group(1) not in ("0", "200000"):
            out.add(m.group(1))
        if m.group(2):
            out.add(m.group(2))
    return out


_SIGNATURE_RE = re.compile(
    r"(signature|sign|apiKey|api_key|passphrase)=[^&\s\"']+", re.IGNORECASE
)


def redact(message: str, secrets: Iterable[str] = ()) -> str:
    message = _SIGNATURE_RE.sub(r"\1=[redacted]", message)
    for value in secrets:
        if value and len(value) >= 4:
            message = message.replace(value, "[redacted]")
    return message


class _Where(TypedDict):
    """The keyword arguments every mapped error takes."""

    exchange: str
    code: str | None


def map_ccxt_error(
    exc: BaseException, exchange: str, secrets: Iterable[str] = ()
) -> ExchangeError:
    """Translate a ccxt exception into ours. Use as ``raise map_ccxt_error(e, id) from e``."""
    if isinstance(exc, ExchangeError):
        return exc
    message = redact(str(exc), secrets)
    codes = _codes(message)
    order_codes = sorted({c for c in _SCODE_RE.findall(message) if c != "0"})
    code = order_codes[0] if order_codes else (sorted(codes)[0] if codes else None)

    def has(table: dict[str, frozenset[str]]) -> bool:
        return bool(codes & table.get(exchange, frozenset()))

    kw = _Where(exchange=exchange, code=code)
    if has(_IP_CODES) or (isinstance(exc, ccxt.PermissionDenied | ccxt.AuthenticationError)
                          and _IP_WORDS.search(message)):
        return PermissionDeniedError(message, ip_not_allowed=True, **kw)
    if isinstance(exc, ccxt.InvalidOrder | ccxt.ExchangeError) and (
        has(DUPLICATE_CLIENT_ID_CODES) or _DUPLICATE_WORDS.search(message)
    ) and not isinstance(exc, ccxt.OrderNotFound):
        return DuplicateClientOrderIdError(message, **kw)
    if isinstance(exc, ccxt.InvalidNonce):
        return ClockSkewError(message, **kw)
    if isinstance(exc, ccxt.RateLimitExceeded | ccxt.DDoSProtection):
        return RateLimitedError(message, **kw)
    if isinstance(exc, ccxt.NetworkError):  # timeouts, ExchangeNotAvailable, OnMaintenance
        return RetryableError(message, **kw)
    if isinstance(exc, ccxt.PermissionDenied | ccxt.AccountSuspended):
        return PermissionDeniedError(message, **kw)
    if isinstance(exc, ccxt.AuthenticationError):
        expired = has(_EXPIRED_CODES) or bool(re.search(r"expire", message, re.IGNORECASE))
        return AuthenticationError(message, expired=expired, **kw)
    if isinstance(exc, ccxt.InsufficientFunds):
        return InsufficientFundsError(message, **kw)
    if isinstance(exc, ccxt.OrderNotFound):
        return OrderNotFoundError(message, **kw)
    if isinstance(exc, ccxt.InvalidOrder):
        return InvalidOrderError(message, **kw)
    if isinstance(exc, ccxt.NotSupported):
        return NotSupportedError(message, **kw)
    if isinstance(exc, ccxt.OperationFailed):  # ccxt's other retryable family
        return RetryableError(message, **kw)
    if isinstance(exc, ccxt.BaseError):
        return PermanentError(message, **kw)
    if isinstance(exc, ValueError | ArithmeticError):  # ccxt choking on a reply's number
        return MalformedResponseError(f"{exchange}: the reply could not be read: {message}",
                                      **kw)
    if isinstance(exc, TimeoutError | ConnectionError | OSError):
        return RetryableError(f"{exchange}: {type(exc).__name__}: {message}", **kw)
    return PermanentError(f"{exchange}: {type(exc).__name__}: {message}", **kw)

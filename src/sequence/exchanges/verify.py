"""Automatic API key verification: what works, what is wrong, in words a client can act on."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sequence.exchanges.adapters.base import CcxtAdapter
from sequence.exchanges.config import EXCHANGES, ExchangeConfig
from sequence.exchanges.domain import KeyInfo, MarketKind
from sequence.exchanges.errors import (
    AuthenticationError,
    ExchangeError,
    NotSupportedError,
    PermissionDeniedError,
    RetryableError,
)
from sequence.exchanges.factory import create_adapter
from sequence.exchanges.secret import Credentials

__all__ = ["KeyFacts", "Problem", "VerificationResult", "verify_key", "verify_key_sync"]

EXCHANGE_NAMES = {e.id: e.name for e in EXCHANGES.values()}


@dataclass(frozen=True, slots=True)
class Problem:
    code: str  # machine code, e.g. "withdraw_permission"
    message: str  # client-facing


@dataclass(frozen=True, slots=True)
class KeyFacts:
    permissions: tuple[str, ...] = ()
    ips: tuple[str, ...] = ()
    expires_at: datetime | None = None
    is_subaccount: bool | None = None
    balance: Decimal | None = None
    balance_currency: str | None = None
    wallet: str | None = None


@dataclass(frozen=True, slots=True)
class VerificationResult:
    ok: bool
    problems: tuple[Problem, ...] = field(default=())
    facts: KeyFacts = field(default_factory=KeyFacts)

    def codes(self) -> tuple[str, ...]:
        return tuple(p.code for p in self.problems)


def _amount(value: Decimal) -> str:
    return format(value.normalize(), "f")


async def verify_key(exchange: str, market: MarketKind | str, credentials: Credentials,
                     base_currency: str, min_balance: Decimal, *,
                     egress_ips: Sequence[str] = (), config: ExchangeConfig | None = None,
                     adapter: CcxtAdapter | None = None,
                     now: datetime | None = None) -> VerificationResult:
    """Check a key with the exchange: rights, IP whitelist, expiry, trading-wallet balance.

    Never reads the funding wallet (a trade-only Bybit key cannot). ``adapter`` is for tests.
    """
    kind = MarketKind(market)
    now = now or datetime.now(UTC)
    name = EXCHANGE_NAMES.get(exchange, exchange)
    own = adapter is None
    if adapter is None:
        adapter = create_adapter(config or ExchangeConfig(exchange), kind, credentials)
    problems: list[Problem] = []
    info: KeyInfo | None = None
    balance = None
    try:
        try:
            info = await adapter.fetch_key_info()
        except NotSupportedError:
            info = None
        except ExchangeError as exc:
            problem = _problem_for(exc, name, egress_ips)
            return VerificationResult(False, (problem,), KeyFacts())

        if info is not None:
            problems += _rights(info, kind, name)
            problems += _ips(info, egress_ips, name)
            if info.expires_at is not None and info.expires_at <= now:
                problems.append(Problem("key_expired", (
                    f"This {name} API key expired on {info.expires_at:%Y-%m-%d}. Create a new "
                    "key and submit it.")))
        try:
            wallet = await adapter.fetch_balance()
        except ExchangeError as exc:
            problems.append(_problem_for(exc, name, egress_ips))
        else:
            balance = wallet.get(base_currency).total
            if balance < min_balance:
                hint = getattr(adapter, "funding_hint", "").format(wallet=wallet.wallet)
                problems.append(Problem("insufficient_funds", (
                    f"Insufficient funds: {_amount(balance)} {base_currency.upper()} on the "
                    f"{wallet.wallet}, {_amount(Decimal(min_balance))} "
                    f"{base_currency.upper()} required. {hint}").strip()))
    finally:
        if own:
            await adapter.close()
    facts = KeyFacts(
        permissions=info.permissions if info else (),
        ips=info.ips if info else (),
        expires_at=info.expires_at if info else None,
        is_subaccount=info.is_subaccount if info else None,
        balance=balance,
        balance_currency=base_currency.upper(),
        wallet=adapter.wallet_names.get(kind),
    )
    return VerificationResult(not problems, tuple(problems), facts)


def verify_key_sync(*args: Any, **kwargs: Any) -> VerificationResult:
    """Blocking wrapper for callers without an event loop (jobs, management commands)."""
    return asyncio.run(verify_key(*args, **kwargs))


def _rights(info: KeyInfo, kind: MarketKind, name: str) -> list[Problem]:
    out = []
    if info.withdraw_permissions:
        out.append(Problem("withdraw_permission", (
            f"This key has the withdrawal permission ({', '.join(info.withdraw_permissions)}). "
            f"We never accept keys that can move funds: create a new {name} key without it.")))
    if info.transfer_permissions:
        out.append(Problem("transfer_permission", (
            f"This key has a transfer permission ({', '.join(info.transfer_permissions)}). "
            f"We never accept keys that can move funds: create a new {name} key without it.")))
    if info.refused_permissions:
        out.append(Problem("permission_not_accepted", (
            f"This key has permissions we do not accept "
            f"({', '.join(info.refused_permissions)}). We accept only trading and reading "
            f"permissions: create a new {name} key with just those.")))
    allowed = info.can_trade_spot if kind is MarketKind.SPOT else info.can_trade_derivatives
    if not allowed:
        what = "Spot trading" if kind is MarketKind.SPOT else "derivatives (contract) trading"
        out.append(Problem("trade_permission_missing", (
            f"This key cannot trade: enable {what} for it on {name} "
            f"(the key is read-only or lacks that permission).")))
    return out


def _ips(info: KeyInfo, egress_ips: Sequence[str], name: str) -> list[Problem]:
    wanted = [ip for ip in egress_ips if ip]
    listed = ", ".join(wanted) or "our IP addresses"
    if not info.ips:
        return [Problem("ip_whitelist_missing", (
            f"This key has no IP whitelist. Restrict it to {listed} on {name}; "
            "keys without one expire or lose trading rights.")), ]
    if info.ips == ("restricted",):  # Binance reports only that a restriction exists
        return []
    missing = [ip for ip in wanted if ip not in info.ips]
    if missing:
        return [Problem("ip_whitelist_mismatch", (
            f"The key's IP whitelist does not include {', '.join(missing)}. Add "
            f"{'it' if len(missing) == 1 else 'them'} on {name}."))]
    return []


def _problem_for(exc: ExchangeError, name: str, egress_ips: Sequence[str]) -> Problem:
    if isinstance(exc, PermissionDeniedError) and exc.ip_not_allowed:
        listed = ", ".join(ip for ip in egress_ips if ip) or "our IP addresses"
        return Problem("ip_not_allowed", (
            f"{name} refused our request because of the key's IP whitelist. "
            f"Add {listed} to it."))
    if isinstance(exc, AuthenticationError):
        if exc.expired:
            return Problem("key_expired", f"This {name} API key has expired. Create a new key "
                                          "and submit it.")
        return Problem("key_invalid", (
            f"{name} did not accept this key: check the API key, secret"
            f"{' and passphrase' if name in ('OKX', 'KuCoin') else ''} (copy them again), "
            "or the key was deleted."))
    if isinstance(exc, PermissionDeniedError):
        return Problem("trade_permission_missing", (
            f"{name} refused a read with this key: it lacks a permission we need "
            "(reading the account and trading)."))
    if isinstance(exc, RetryableError):
        return Problem("exchange_unavailable", f"{name} did not answer. Try again in a few "
                                               "minutes.")
    return Problem("exchange_error", f"{name} returned an error we could not interpret. "
                                     "Try again later or contact support.")

"""Every kind of email, and what each adds at delivery time.

A kind maps to three templates (`emails/<kind>.subject.txt`, `.txt`,
`.html`) and, where it must carry a secret that may not sit in the outbox or
the job's arguments (the sign-in code, the reset link), a *preparer*: a
function run by the delivering job that returns extra context, or None when
the email is no longer relevant (a superseded code).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.module_loading import import_string


@dataclass(frozen=True)
class Kind:
    name: str
    from_trading_team: bool = False
    preparer: str | None = None  # dotted path: (email) -> dict | None

    def prepare(self, email) -> dict | None:
        if not self.preparer:
            return {}
        fn: Callable = import_string(self.preparer)
        return fn(email)


KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in [
        Kind("signin_code", preparer="sequence.accounts.services.signin_code_prepare_email"),
        Kind("password_reset", preparer="sequence.accounts.services.password_reset_prepare_email"),
        Kind("password_changed"),
        Kind("totp_enabled"),
        Kind("anti_phishing_changed"),
        Kind("new_signin"),
        Kind("keys_received"),
        Kind("keys_issue", from_trading_team=True),
        Kind("api_refreshed", from_trading_team=True),
        Kind("support_connection_request"),
        Kind("key_expiry_reminder", from_trading_team=True),
        Kind("keys_expired", from_trading_team=True),
        Kind("keys_expiring_paused", from_trading_team=True),
        Kind("strategy_launched", from_trading_team=True),
        Kind("bot_needs_attention", from_trading_team=True),
        Kind("bot_stopped"),
        # funds rules (sequence.compliance)
        Kind("withdrawal_notice_received", from_trading_team=True),
        Kind("withdrawal_safe", from_trading_team=True),
        Kind("trading_resumed", from_trading_team=True),
        Kind("withdrawal_notice_expired", from_trading_team=True),
        Kind("compliance_manual_trade", from_trading_team=True),
        Kind("compliance_large_withdrawal", from_trading_team=True),
        Kind("compliance_non_base_withdrawal", from_trading_team=True),
        Kind("compliance_non_base_deposit", from_trading_team=True),
        Kind("bot_paused_by_operator", from_trading_team=True),
        Kind("bot_stopped_by_operator", from_trading_team=True),
    ]
}


def get_kind(name: str) -> Kind:
    try:
        return KINDS[name]
    except KeyError:
        raise ValueError(f"unknown email kind {name!r}") from None


def register(kind: Kind) -> None:
    """Other apps add their kinds at import time (keys received, strategy launched, ...)."""
    KINDS[kind.name] = kind

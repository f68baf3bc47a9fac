"""Checks a submission's key with the exchange, through the exchange layer.

The worker holds the vault's private key; this module receives opened
secrets and hands them to `verify_key` as the exchange layer's redacting
`Credentials`. Only a plain dict of findings (no secret) leaves it.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings

from sequence.exchanges.config import API_URL_SETTINGS, configs_from_settings
from sequence.exchanges.secret import Credentials
from sequence.exchanges.verify import verify_key_sync

RETRYABLE = {"exchange_unavailable"}


class VerificationUnavailable(Exception):
    """The exchange could not be asked (time-out, 5xx): try again later."""


def _credentials(secrets: dict) -> Credentials:
    secret = secrets.get("api_secret") or secrets.get("private_key")
    passphrase = secrets.get("passphrase")
    return Credentials.of(secrets["api_key"].reveal(), secret.reveal(),
                          passphrase.reveal() if passphrase else None)


def check_submission(*, submission, secrets: dict) -> dict:
    offering = submission.offering
    exchange = offering.exchange_id
    urls = {name: getattr(settings, name, "") for name in API_URL_SETTINGS.values()}
    config = configs_from_settings(urls, egress_ip=(settings.EGRESS_IPS or [""])[0])[exchange]
    result = verify_key_sync(
        exchange, offering.market_kind, _credentials(secrets), offering.strategy.base_currency,
        Decimal(offering.strategy.min_balance), egress_ips=settings.EGRESS_IPS, config=config,
    )
    problems = [{"code": p.code, "message": p.message} for p in result.problems]
    if problems and all(p["code"] in RETRYABLE for p in problems):
        raise VerificationUnavailable(problems[0]["message"])
    facts = result.facts
    return {
        "ok": result.ok,
        "problems": problems,
        "facts": {
            "permissions": list(facts.permissions),
            "ips": list(facts.ips),
            "expires_at": facts.expires_at.isoformat() if facts.expires_at else None,
            "is_subaccount": facts.is_subaccount,
            "balance": str(facts.balance) if facts.balance is not None else None,
            "balance_currency": facts.balance_currency,
            "wallet": facts.wallet,
        },
    }

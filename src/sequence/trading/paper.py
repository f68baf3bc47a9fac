"""Paper trading (E4): any catalogue strategy, on the built-in simulated exchange, same engine.

The operator owns the bot. The platform opens its account and a trade-only key through the
simulated exchange's admin API (loopback only), funds it with the starting balance in the
strategy's base currency, and seals the key in the vault like a client's. Its orders go to
PAPER_VENUE_URL, never to a real exchange, whatever BYBIT_API_URL says. Prices are the
venue's feed: replayed candles (``sequence venue serve --candles``).
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from sequence.catalog.selectors import offering_by_id
from sequence.ops.services import audit_record
from sequence.trading import services
from sequence.trading.models import Bot
from sequence.vault.services import credential_store

PAPER_EXCHANGES = ("bybit", "okx")
BYBIT_TRADE_ONLY = {"ContractTrade": ["Order", "Position"], "Spot": ["SpotTrade"], "Wallet": []}


class PaperError(ValueError):
    pass


def paper_venue_url() -> str:
    return (settings.PAPER_VENUE_URL or "").rstrip("/")


def paper_bot_create(*, operator, offering_id, balance, request=None) -> Bot:
    from sequence.venue.client import AdminClient, AdminError

    offering = offering_by_id(_int(offering_id))
    if offering is None:
        raise PaperError("Choose a strategy from the list.")
    if offering.exchange_id not in PAPER_EXCHANGES:
        raise PaperError(f"The simulated exchange speaks Bybit and OKX only, not {offering.exchange.name}.")
    try:
        amount = Decimal(str(balance).strip().replace(",", ""))
    except InvalidOperation:
        raise PaperError("The starting balance must be a number, e.g. 10000.") from None
    if not amount.is_finite() or amount <= 0:
        raise PaperError("The starting balance must be a positive number.")
    if amount < offering.strategy.min_balance:
        raise PaperError(f"{offering.strategy.name} needs at least {offering.strategy.min_balance.normalize()} "
                         f"{offering.strategy.base_currency}.")
    url = paper_venue_url()
    if not url:
        raise PaperError("No simulated exchange is configured (PAPER_VENUE_URL).")
    admin = AdminClient(url)
    try:
        account = admin.create_account(name=f"paper-{uuid.uuid4().hex[:10]}")
        admin.fund(account, offering.strategy.base_currency, str(amount), wallet="trading")
        key = admin.create_key(account, exchange=offering.exchange_id,
                               permissions=BYBIT_TRADE_ONLY if offering.exchange_id == "bybit" else ["read_only", "trade"],
                               label="paper trading")
    except (AdminError, OSError) as exc:
        raise PaperError(f"The simulated exchange did not answer: {exc}") from None
    fields = {"api_key": key.api_key, "api_secret": key.secret}
    if key.passphrase:
        fields["passphrase"] = key.passphrase
    with transaction.atomic():
        credential = credential_store(owner=operator, exchange=offering.exchange_id, fields=fields, label="paper")
        bot = services.bot_create(user=operator, offering=offering, kind=Bot.Kind.PAPER, venue_account_id=account)
        services.bot_credential_verified(bot_id=bot.pk, credential=credential,
                                         expires_at=timezone.now() + timedelta(days=3650), expiry_source="paper",
                                         first_key=True, actor=operator)
        audit_record(actor=operator, action="bot.paper_created", target=bot, request=request,
                     data={"offering": offering.pk, "balance": str(amount), "venue_account": account})
    bot.refresh_from_db()
    return bot


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None

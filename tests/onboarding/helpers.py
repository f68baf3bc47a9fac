"""Building blocks of the onboarding tests: the catalogue, exchange accounts, the form."""

from __future__ import annotations

import uuid

from sequence.catalog.demo import seed_catalog
from sequence.catalog.models import Offering

BYBIT_TRADE = {"ContractTrade": ["Order", "Position"], "Spot": ["SpotTrade"], "Wallet": []}
BYBIT_WITHDRAW = {"ContractTrade": ["Order", "Position"], "Spot": ["SpotTrade"], "Wallet": ["Withdraw"]}


def catalog() -> dict[str, Offering]:
    seed_catalog()
    by = {}
    for o in Offering.objects.select_related("strategy", "exchange"):
        by[f"{o.strategy.slug}@{o.exchange_id}"] = o
    return by


def exchange_key(venue, *, exchange="bybit", coin="USDT", amount="5000", permissions=None, ips=("127.0.0.1",)):
    account = venue.admin.create_account(name=f"acct-{uuid.uuid4().hex[:8]}")
    if amount:
        venue.admin.fund(account, coin, amount, wallet="trading")
    if permissions is None:
        permissions = BYBIT_TRADE if exchange == "bybit" else ["read_only", "trade"]
    return venue.admin.create_key(account, exchange=exchange, permissions=permissions, ips=list(ips))


def form(user, offering, key=None, **overrides) -> dict:
    data = {
        "registered_email": user.email,
        "kind": "new",
        "market": offering.market,
        "exchange": offering.exchange_id,
        "offering": str(offering.pk),
        "anti_phishing_code": user.anti_phishing_code or "bluefalcon",
        "funded": "on",
        "agree": "on",
        "form_token": str(uuid.uuid4()),
    }
    if key is not None:
        data.update(api_key=key.api_key, api_secret=key.secret)
        if key.passphrase:
            data.update(passphrase=key.passphrase, api_name="sequence bot")
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}

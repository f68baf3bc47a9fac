"""The demo's exchange account on the simulated exchange, and the two keys shown to the demo client.

Demo only: the keys are written to var/demo-exchange-keys.json so the demo
client can copy them into the form, exactly as a real client copies them from
their exchange. One is trade-only; the other can withdraw, and verification
refuses it.
"""

from __future__ import annotations

import json
from pathlib import Path

from sequence.runtime.paths import var_dir

TRADE_ONLY = {"ContractTrade": ["Order", "Position"], "Spot": ["SpotTrade"], "Wallet": []}
WITH_WITHDRAW = {"ContractTrade": ["Order", "Position"], "Spot": ["SpotTrade"], "Wallet": ["Withdraw"]}


def keys_path() -> Path:
    return var_dir() / "demo-exchange-keys.json"


def load_demo_keys() -> list[dict]:
    path = keys_path()
    if not path.exists():
        return []
    try:
        return json.loads(path.read_text())["keys"]
    except (ValueError, KeyError):
        return []


def ensure_demo_exchange(venue_url: str) -> list[dict]:
    """Create the funded account and its keys unless the running venue still has them."""
    from sequence.venue.client import AdminClient, AdminError

    admin = AdminClient(venue_url)
    path = keys_path()
    if path.exists():
        stored = json.loads(path.read_text())
        try:
            admin.account(stored["account_id"])
            return stored["keys"]
        except (AdminError, KeyError):
            pass  # the venue lost its state: make a new account
    account = admin.create_account(name="demo-client-subaccount")
    admin.fund(account, "USDT", "25000", wallet="trading")
    admin.fund(account, "BTC", "0.5", wallet="trading")
    keys = []
    for label, permissions in (("Trade-only key (use this one)", TRADE_ONLY),
                               ("Key WITH withdrawal permission (verification refuses it)", WITH_WITHDRAW)):
        key = admin.create_key(account, exchange="bybit", permissions=permissions, ips=["127.0.0.1"], label=label)
        keys.append({"label": label, "exchange": "Bybit", "api_key": key.api_key, "api_secret": key.secret})
    path.write_text(json.dumps({"account_id": account, "keys": keys}, indent=1))
    path.chmod(0o600)
    return keys

"""OKX's rate limits (v5 docs): per user ID (public: per IP) and endpoint, mostly per
2 s. Over the limit: HTTP 429 with code 50011 "Too Many Requests", which ccxt raises
as RateLimitExceeded. OKX sends no rate-limit headers."""

from __future__ import annotations

from sequence.venue.limits import Rule, Verdict
from sequence.venue.protocol import Answer

TWO_S = 2000
P = "/api/v5"
_FIGURES = {
    "trade/order": 60, "trade/batch-orders": 300, "trade/cancel-order": 60,
    "trade/cancel-batch-orders": 300, "trade/amend-order": 60, "trade/amend-batch-orders": 300,
    "trade/orders-pending": 60, "trade/orders-history": 40, "trade/orders-history-archive": 20,
    "trade/fills": 60, "trade/fills-history": 10, "account/balance": 10,
    "account/positions": 10, "account/bills": 10, "account/bills-archive": 5,
    "account/config": 5, "account/set-position-mode": 5, "account/set-leverage": 20,
    "account/leverage-info": 20, "account/trade-fee": 5, "asset/balances": 12,
    "asset/deposit-history": 12, "asset/withdrawal-history": 12, "asset/currencies": 12,
    "public/instruments": 20, "public/time": 10, "market/ticker": 20, "market/tickers": 20,
    "market/books": 40, "market/candles": 40, "market/history-candles": 20,
    "market/trades": 100, "market/history-trades": 20,
}
RULES = {f"{P}/{k}": Rule(f"{P}/{k}", n, TWO_S) for k, n in _FIGURES.items()}
RULES[f"{P}/system/status"] = Rule(f"{P}/system/status", 1, 5000)
DEFAULT = Rule("okx-default", 10, TWO_S)


def rule_for(path: str, private: bool) -> Rule:
    return RULES.get(path, DEFAULT)


def headers(v: Verdict) -> dict[str, str]:
    return {}


def limited(v: Verdict) -> Answer:
    return Answer({"code": "50011", "data": [], "msg": "Too Many Requests"}, "50011", 429)

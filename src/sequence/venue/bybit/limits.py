"""Bybit's rate limits (v5 docs, default tier): per UID and endpoint per second for
private calls, 600 requests per 5 s per IP for public ones. Over the limit: retCode
10006 "Too many visits!" (HTTP 200), which ccxt raises as RateLimitExceeded; every
private answer carries ``X-Bapi-Limit``, ``X-Bapi-Limit-Status`` (remaining) and
``X-Bapi-Limit-Reset-Timestamp``."""

from __future__ import annotations

from sequence.venue.limits import Rule, Verdict
from sequence.venue.protocol import Answer

SECOND = 1000
PUBLIC = Rule("bybit-public-ip", 600, 5 * SECOND)
DEFAULT = Rule("bybit-default", 50, SECOND)

_TEN = ("/v5/order/create", "/v5/order/amend", "/v5/order/cancel", "/v5/order/cancel-all",
        "/v5/order/create-batch", "/v5/order/amend-batch", "/v5/order/cancel-batch",
        "/v5/position/set-leverage", "/v5/position/switch-mode", "/v5/account/set-margin-mode",
        "/v5/account/fee-rate", "/v5/user/query-api")
_FIFTY = ("/v5/order/realtime", "/v5/order/history", "/v5/execution/list", "/v5/position/list",
          "/v5/account/wallet-balance", "/v5/account/info", "/v5/account/transaction-log")
RULES = {**{p: Rule(p, 10, SECOND) for p in _TEN}, **{p: Rule(p, 50, SECOND) for p in _FIFTY}}


def rule_for(path: str, private: bool) -> Rule:
    if not private:
        return PUBLIC
    return RULES.get(path) or (Rule(path, 10, SECOND) if path.startswith("/v5/asset/")
                               else DEFAULT)


def headers(v: Verdict) -> dict[str, str]:
    return {"X-Bapi-Limit": str(v.limit), "X-Bapi-Limit-Status": str(v.remaining),
            "X-Bapi-Limit-Reset-Timestamp": str(v.reset_ms)}


def limited(v: Verdict) -> Answer:
    from sequence.venue.bybit.auth import envelope

    answer = envelope({}, 10006, "Too many visits!")
    answer.headers = headers(v)
    return answer

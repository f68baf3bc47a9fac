"""Bybit request helpers: market lookup, pagination, booleans."""

from __future__ import annotations

from sequence.venue.engine import Venue
from sequence.venue.model import Market
from sequence.venue.protocol import Reject

SIDE = {"buy": "Buy", "sell": "Sell"}


def market_of(venue: Venue, category: str | None, symbol: str | None) -> Market | None:
    if not category:
        raise Reject(10001, "Missing some parameters that must be filled in, category")
    if category not in ("spot", "linear", "inverse"):
        raise Reject(10001, "params error: category invalid")
    if not symbol:
        return None
    m = venue.by_bybit.get((category, symbol))
    if m is None:
        raise Reject(10001, "params error: symbol invalid")
    return m


def limit_of(params: dict, default: int, maximum: int) -> int:
    try:
        n = int(params.get("limit", default))
    except (TypeError, ValueError):
        raise Reject(10001, "params error: limit") from None
    return max(1, min(n, maximum))


def paginate(items: list, params: dict, default: int, maximum: int) -> tuple[list, str]:
    limit = limit_of(params, default, maximum)
    try:
        start = int(params.get("cursor") or 0)
    except ValueError:
        raise Reject(10001, "params error: cursor") from None
    page = items[start:start + limit]
    nxt = str(start + limit) if start + limit < len(items) else ""
    return page, nxt


def boolean(v) -> bool:
    return v is True or (isinstance(v, str) and v.lower() == "true") or v == 1

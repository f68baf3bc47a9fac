"""Bybit request helpers: market lookup, pagination, the 7-day window, booleans."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import TypeVar

from sequence.venue.engine import Venue
from sequence.venue.model import Market
from sequence.venue.protocol import JsonObject, Reject

SIDE = {"buy": "Buy", "sell": "Sell"}
T = TypeVar("T")


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


def limit_of(params: Mapping[str, object], default: int, maximum: int) -> int:
    value = params.get("limit", default)
    try:
        if not isinstance(value, (str, int, float)):
            raise TypeError(value)
        n = int(value)
    except (TypeError, ValueError):
        raise Reject(10001, "params error: limit") from None
    return max(1, min(n, maximum))


def _item_id(item: object) -> str:
    if isinstance(item, dict):  # a rendered position row
        return f"{item.get('symbol')}:{item.get('positionIdx')}"
    return str(getattr(item, "id", ""))  # a record: an Order, Execution, LedgerEntry, Transfer


def paginate(items: list[T], params: JsonObject, default: int,
             maximum: int) -> tuple[list[T], str]:
    """A page of ``items`` (newest first) and the opaque cursor of the next one.

    The cursor names the last item returned, not an offset: records that arrive between
    two pages (at the front) neither repeat nor hide an item.
    """
    limit = limit_of(params, default, maximum)
    start = 0
    if params.get("cursor"):
        try:
            last = base64.urlsafe_b64decode(str(params["cursor"]).encode()).decode()
            if not last.startswith("after:"):
                raise ValueError(last)
        except ValueError:
            raise Reject(10001, "params error: cursor") from None
        ids = [_item_id(i) for i in items]
        start = ids.index(last[6:]) + 1 if last[6:] in ids else len(items)
    page = items[start:start + limit]
    more = start + limit < len(items)
    nxt = base64.urlsafe_b64encode(f"after:{_item_id(page[-1])}".encode()).decode() \
        if more and page else ""
    return page, nxt


WEEK_MS = 7 * 86_400_000


def week_window(params: JsonObject, now_ms: int) -> tuple[int, int]:
    """Bybit's history window: at most 7 days between startTime and endTime; neither given:
    the last 7 days; one given: 7 days from (or up to) it."""
    try:
        start = int(params["startTime"]) if params.get("startTime") else None
        end = int(params["endTime"]) if params.get("endTime") else None
    except ValueError:
        raise Reject(10001, "params error: startTime/endTime") from None
    if start is None:
        return (now_ms - WEEK_MS, now_ms) if end is None else (end - WEEK_MS, end)
    if end is None:
        return start, start + WEEK_MS
    if end < start:
        raise Reject(10001, "The end time must be later than the start time")
    if end - start > WEEK_MS:
        raise Reject(10001, "The time range between startTime and endTime cannot exceed 7 days")
    return start, end


def boolean(v: object) -> bool:
    return v is True or (isinstance(v, str) and v.lower() == "true") or v == 1

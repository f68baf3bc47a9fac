"""OKX request helpers: instrument lookup, contract sizes, pagination, state names."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TypeVar

from sequence.venue.engine import Venue
from sequence.venue.model import Market, Order, VenueError, fmt
from sequence.venue.protocol import JsonObject, Reject

D = Decimal
POS_SIDE = {0: "net", 1: "long", 2: "short"}
T = TypeVar("T")


def market_of(venue: Venue, inst_id: str | None) -> Market:
    m = venue.by_okx.get(inst_id or "")
    if m is None:
        if not inst_id:
            raise Reject("50014", "Parameter instId can not be empty.")
        raise Reject("51001", f"Instrument ID or Spread ID doesn't exist: {inst_id}")
    return m


def lot(m: Market) -> Decimal:
    return D(1) if m.kind == "inverse" else m.qty_step / m.okx_ct_val


def to_contracts(m: Market, qty: Decimal) -> Decimal:
    return qty / m.okx_ct_val


def from_contracts(m: Market, sz: object) -> Decimal:
    try:
        return D(str(sz)) * m.okx_ct_val
    except Exception:
        raise VenueError("bad_param", "Parameter sz error") from None


STATE = {"New": "live", "PartiallyFilled": "partially_filled", "Filled": "filled",
         "Cancelled": "canceled", "PartiallyFilledCanceled": "canceled", "Rejected": "canceled"}


def size_out(o: Order, qty: Decimal) -> str:
    return fmt(qty if o.market.kind == "spot" else to_contracts(o.market, qty))


def page_by_id(items: list[T], params: JsonObject, id_of: Callable[[T], str],
               default: int = 100) -> list[T]:
    """OKX pagination: newest first; ``after`` = older than that id, ``before`` = newer."""
    try:
        limit = max(1, min(int(params.get("limit", default)), 100))
        if params.get("after"):
            a = int(params["after"])
            items = [i for i in items if int(id_of(i)) < a]
        if params.get("before"):
            b = int(params["before"])
            items = [i for i in items if int(id_of(i)) > b]
    except ValueError:
        raise Reject("51000", "Parameter error") from None
    return items[:limit]

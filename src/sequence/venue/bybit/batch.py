"""Bybit batch order endpoints: ``create-batch`` and ``cancel-batch`` (what ccxt's
``create_orders`` and ``cancel_orders`` send).

Each item is placed (or cancelled) on its own, as ``/v5/order/create`` (``cancel``) would:
``result.list`` holds one row per item in order, and ``retExtInfo.list`` its code and message
(0 "OK" or the item's rejection); the envelope's ``retCode`` is 0 whenever the batch itself was
well formed. At most 20 items (10 for spot), as the v5 docs state.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web

from sequence.venue.bybit.auth import envelope, private, translate
from sequence.venue.bybit.trade import cancel, create
from sequence.venue.engine import Venue
from sequence.venue.model import Account, ApiKey, Order, VenueError
from sequence.venue.protocol import Answer, JsonObject, Reject


def _items(params: JsonObject) -> tuple[str, list[Any]]:
    category = str(params.get("category") or "")
    items = params.get("request")
    if not isinstance(items, list) or not items:
        raise Reject(10001, "params error: request must be a non-empty list")
    if len(items) > (10 if category == "spot" else 20):
        raise Reject(10001, "The number of orders exceeds the batch limit")
    return category, items


def _batch(venue: Venue, key: ApiKey, account: Account, params: JsonObject,
           one: Callable[[Venue, ApiKey, Account, JsonObject], Order], *,
           created: bool) -> Answer:
    category, items = _items(params)
    rows: list[JsonObject] = []
    codes: list[JsonObject] = []
    for item in items:
        try:
            if not isinstance(item, dict):
                raise Reject(10001, "params error: each request is an object")
            order = one(venue, key, account, {**item, "category": category})
        except (Reject, VenueError) as e:
            r = e if isinstance(e, Reject) else translate(e)
            rows.append({"category": "", "symbol": "", "orderId": "", "orderLinkId": "",
                         **({"createAt": ""} if created else {})})
            codes.append({"code": int(r.code), "msg": r.msg})
            continue
        row: JsonObject = {"category": category, "symbol": order.market.bybit_symbol,
                           "orderId": order.id, "orderLinkId": order.link_id}
        if created:
            row["createAt"] = str(order.created)
        rows.append(row)
        codes.append({"code": 0, "msg": "OK"})
    answer = envelope({"list": rows})
    answer.body["retExtInfo"] = {"list": codes}
    return answer


@private("trade")
def create_batch(request: web.Request, venue: Venue, key: ApiKey, account: Account,
                 params: JsonObject) -> Answer:
    return _batch(venue, key, account, params, create, created=True)


@private("trade")
def cancel_batch(request: web.Request, venue: Venue, key: ApiKey, account: Account,
                 params: JsonObject) -> Answer:
    return _batch(venue, key, account, params, cancel, created=False)

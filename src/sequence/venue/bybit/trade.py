"""Bybit order endpoints: create, amend, cancel, cancel-all, realtime, history."""

from __future__ import annotations

import re
from decimal import Decimal

from aiohttp import web

from sequence.venue.bybit.auth import DENIED, private
from sequence.venue.bybit.common import boolean, market_of, paginate, week_window
from sequence.venue.bybit.render import order_json
from sequence.venue.engine import Venue
from sequence.venue.model import Account, ApiKey, Market, Order, dec
from sequence.venue.protocol import JsonObject, Reject, time_window

D = Decimal
LINK_ID = re.compile(r"[A-Za-z0-9_-]*")


def _trade_market(venue: Venue, key: ApiKey, params: JsonObject) -> Market:
    m = market_of(venue, params.get("category"), params.get("symbol"))
    if m is None:
        raise Reject(10001, "Missing some parameters that must be filled in, symbol")
    if not key.can_trade(m):
        raise Reject(10005, DENIED)
    return m


@private("trade")
def create_order(request: web.Request, venue: Venue, key: ApiKey, account: Account,
                 params: JsonObject) -> JsonObject:
    order = create(venue, key, account, params)
    return {"orderId": order.id, "orderLinkId": order.link_id}


def create(venue: Venue, key: ApiKey, account: Account, params: JsonObject) -> Order:
    """One order as ``/v5/order/create`` (and each item of ``create-batch``) describes it."""
    m = _trade_market(venue, key, params)
    link = str(params.get("orderLinkId") or "")
    if len(link) > 36 or not LINK_ID.fullmatch(link):
        raise Reject(10001, "orderLinkId is invalid: at most 36 letters, digits, - and _")
    tif = params.get("timeInForce") or ("IOC" if params.get("orderType") == "Market" else "GTC")
    if tif not in ("GTC", "IOC", "PostOnly", "FOK"):
        raise Reject(10001, "params error: timeInForce invalid")
    raw_idx = params.get("positionIdx")
    try:
        idx = None if raw_idx in (None, "") else int(raw_idx)
    except (TypeError, ValueError):
        raise Reject(10001, "params error: positionIdx") from None
    if m.kind == "spot" and params.get("orderType") == "Market" and params.get("side") == "Buy" \
            and params.get("marketUnit", "quoteCoin") == "quoteCoin":
        # spot market buys are sized in the quote coin by default
        cost = dec(params.get("qty"))
        qty: object = (cost / venue.quote(m)[1]).quantize(m.qty_step, rounding="ROUND_DOWN")
    else:
        qty = params.get("qty")
    _min_notional(venue, m, qty, params)
    return venue.place_order(
        account, m, side=str(params.get("side", "")), type_=str(params.get("orderType", "")).lower(),
        qty=qty, price=params.get("price"), tif="IOC" if tif == "FOK" else tif,
        reduce_only=boolean(params.get("reduceOnly", False)), position_idx=idx, link_id=link,
        source="bybit")


def _min_notional(venue: Venue, m: Market, qty: object, params: JsonObject) -> None:
    """Bybit's ``minNotionalValue`` (linear) and ``minOrderAmt`` (spot), in the quote coin."""
    if not m.min_notional or params.get("reduceOnly") in (True, "true"):
        return
    price = dec(params["price"]) if params.get("orderType") == "Limit" and params.get(
        "price") not in (None, "") else venue.last_price
    if dec(qty) * price < m.min_notional:
        raise Reject(110094, "Order does not meet minimum order value")


@private("trade")
def cancel_order(request: web.Request, venue: Venue, key: ApiKey, account: Account,
                 params: JsonObject) -> JsonObject:
    order = cancel(venue, key, account, params)
    return {"orderId": order.id, "orderLinkId": order.link_id}


def cancel(venue: Venue, key: ApiKey, account: Account, params: JsonObject) -> Order:
    """One cancellation (``/v5/order/cancel``, each item of ``cancel-batch``)."""
    m = _trade_market(venue, key, params)
    if not params.get("orderId") and not params.get("orderLinkId"):
        raise Reject(10001, "orderId or orderLinkId is required")
    return venue.cancel_order(account, m, order_id=str(params.get("orderId") or ""),
                              link_id=str(params.get("orderLinkId") or ""))


@private("trade")
def amend_order(request: web.Request, venue: Venue, key: ApiKey, account: Account,
                params: JsonObject) -> JsonObject:
    """``qty`` is the new total size, ``price`` the new price; either may be left out."""
    m = _trade_market(venue, key, params)
    if not params.get("orderId") and not params.get("orderLinkId"):
        raise Reject(10001, "orderId or orderLinkId is required")
    if params.get("qty") in (None, "") and params.get("price") in (None, ""):
        raise Reject(10001, "params error: qty or price is required")
    order = venue.amend_order(account, m, order_id=str(params.get("orderId") or ""),
                              link_id=str(params.get("orderLinkId") or ""),
                              qty=params.get("qty"), price=params.get("price"))
    return {"orderId": order.id, "orderLinkId": order.link_id}


@private("trade")
def cancel_all(request: web.Request, venue: Venue, key: ApiKey, account: Account,
               params: JsonObject) -> JsonObject:
    category = params.get("category")
    m = market_of(venue, category, params.get("symbol"))
    if m is not None and not key.can_trade(m):
        raise Reject(10005, DENIED)
    orders = venue.cancel_all(account, m)
    orders = [o for o in orders if o.market.kind == category]
    return {"list": [{"orderId": o.id, "orderLinkId": o.link_id} for o in orders],
            "success": "1"}


def _order_filter(orders: list[Order], params: JsonObject) -> list[Order]:
    out: list[Order] = []
    for o in orders:
        if params.get("symbol") and o.market.bybit_symbol != params["symbol"]:
            continue
        if params.get("settleCoin") and o.market.settle != params["settleCoin"]:
            continue
        if params.get("baseCoin") and o.market.base != params["baseCoin"]:
            continue
        if params.get("orderId") and o.id != params["orderId"]:
            continue
        if params.get("orderLinkId") and o.link_id != params["orderLinkId"]:
            continue
        out.append(o)
    return out


@private()
def order_realtime(request: web.Request, venue: Venue, key: ApiKey, account: Account,
                   params: JsonObject) -> JsonObject:
    category = params.get("category")
    market_of(venue, category, params.get("symbol"))
    if params.get("orderFilter") in ("StopOrder", "tpslOrder"):
        return {"list": [], "nextPageCursor": "", "category": category}
    if params.get("orderId") or params.get("orderLinkId"):
        o = venue.find_order(account, order_id=str(params.get("orderId") or ""),
                             link_id=str(params.get("orderLinkId") or ""))
        candidates = [o] if o is not None else []
    else:
        candidates = sorted(account.open_orders.values(), key=lambda o: -o.seq)
        if str(params.get("openOnly", "0")) not in ("0", ""):
            candidates += venue.closed_orders(account)
    orders = [o for o in _order_filter(candidates, params) if o.market.kind == category]
    page, nxt = paginate(orders, params, 20, 50)
    return {"list": [order_json(o) for o in page], "nextPageCursor": nxt, "category": category}


@private()
def order_history(request: web.Request, venue: Venue, key: ApiKey, account: Account,
                  params: JsonObject) -> JsonObject:
    category = params.get("category")
    market_of(venue, category, params.get("symbol"))
    if params.get("orderId") or params.get("orderLinkId"):
        o = venue.find_order(account, order_id=str(params.get("orderId") or ""),
                             link_id=str(params.get("orderLinkId") or ""))
        candidates = [o] if o is not None else []
    else:
        candidates = venue.closed_orders(account)
    orders = [o for o in _order_filter(candidates, params) if o.market.kind == category]
    if params.get("orderStatus"):
        wanted = set(params["orderStatus"].split(","))
        orders = [o for o in orders if o.status in wanted]
    if not (params.get("orderId") or params.get("orderLinkId")):  # an id overrides the window
        orders = time_window(orders, lambda o: o.created, *week_window(params, venue.now()))
    page, nxt = paginate(orders, params, 20, 50)
    return {"list": [order_json(o) for o in page], "nextPageCursor": nxt, "category": category}

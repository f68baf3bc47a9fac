"""Bybit position endpoints: list, switch-mode, set-leverage, closed PnL (history)."""

from __future__ import annotations

from aiohttp import web

from sequence.venue.bybit.auth import private
from sequence.venue.bybit.common import SIDE, market_of, paginate, week_window
from sequence.venue.bybit.render import position_json
from sequence.venue.engine import Venue
from sequence.venue.model import Account, ApiKey, fmt
from sequence.venue.protocol import JsonObject, Reject, time_window


@private()
def position_list(request: web.Request, venue: Venue, key: ApiKey, account: Account,
                  params: JsonObject) -> JsonObject:
    category = params.get("category")
    if category == "spot":
        raise Reject(10001, "params error: category invalid")
    m = market_of(venue, category, params.get("symbol"))
    if m is None and not params.get("settleCoin") and not params.get("baseCoin"):
        raise Reject(10001, "Missing some parameters that must be filled in, symbol or settleCoin")
    rows = []
    markets = [m] if m is not None else [
        x for x in venue.markets.values() if x.kind == category
        and (not params.get("settleCoin") or x.settle == params["settleCoin"])
        and (not params.get("baseCoin") or x.base == params["baseCoin"])]
    for x in markets:
        idxs = (1, 2) if account.is_hedge(x) else (0,)
        for idx in idxs:
            pos = account.positions.get((x.key, idx))
            if pos is None:
                if m is None:
                    continue
                pos = venue.position(account, x, idx)
            if m is None and pos.size == 0:
                continue
            rows.append(position_json(venue, account, pos))
    page, nxt = paginate(rows, params, 20, 200)
    return {"list": page, "nextPageCursor": nxt, "category": category}


@private("position")
def switch_mode(request: web.Request, venue: Venue, key: ApiKey, account: Account,
                params: JsonObject) -> JsonObject:
    category = params.get("category")
    m = market_of(venue, category, params.get("symbol"))
    mode = str(params.get("mode", ""))
    if mode not in ("0", "3"):
        raise Reject(10001, "params error: mode")
    targets = [m] if m is not None else [
        x for x in venue.markets.values() if x.kind == category
        and (not params.get("coin") or x.settle == params["coin"])]
    if not targets:
        raise Reject(10001, "Missing some parameters that must be filled in, symbol or coin")
    for x in targets:
        venue.set_position_mode(account, x, mode == "3")
    return {}


@private("position")
def set_leverage(request: web.Request, venue: Venue, key: ApiKey, account: Account,
                 params: JsonObject) -> JsonObject:
    m = market_of(venue, params.get("category"), params.get("symbol"))
    if m is None or m.kind == "spot":
        raise Reject(10001, "params error: symbol invalid")
    if str(params.get("buyLeverage")) != str(params.get("sellLeverage")):
        raise Reject(10001, "buyLeverage must equal sellLeverage in cross margin")
    venue.set_leverage(account, m, params.get("buyLeverage"))
    return {}


@private()
def closed_pnl(request: web.Request, venue: Venue, key: ApiKey, account: Account,
               params: JsonObject) -> JsonObject:
    """Position history: one row per closing order, newest first, in the 7-day window of
    ``startTime``/``endTime`` (by the row's last fill); ``closedPnl`` is after the opening
    and closing fees, as Bybit's."""
    category = params.get("category")
    if category not in ("linear", "inverse"):
        raise Reject(10001, "params error: category invalid")
    m = market_of(venue, category, params.get("symbol"))
    rows = [c for c in account.closures if c.order.market.kind == category
            and (m is None or c.order.market.key == m.key)]
    rows = time_window(rows, lambda c: c.updated, *week_window(params, venue.now()))
    rows.reverse()
    page, nxt = paginate(rows, params, 50, 100)
    out: list[JsonObject] = []
    for c in page:
        o = c.order
        out.append({
            "symbol": o.market.bybit_symbol, "orderType": o.type.capitalize(),
            "leverage": fmt(c.leverage), "updatedTime": str(c.updated), "side": SIDE[o.side],
            "orderId": o.id, "closedPnl": fmt(c.net_pnl), "avgEntryPrice": fmt(c.avg_entry),
            "qty": fmt(o.qty), "cumEntryValue": fmt(c.entry_value),
            "createdTime": str(c.created),
            "orderPrice": fmt(o.price) if o.price is not None else fmt(c.avg_exit),
            "closedSize": fmt(c.closed), "avgExitPrice": fmt(c.avg_exit),
            "execType": "BustTrade" if o.source == "liquidation" else "Trade",
            "fillCount": str(c.fills), "cumExitValue": fmt(c.exit_value),
            "openFee": fmt(c.open_fee), "closeFee": fmt(c.close_fee),
        })
    return {"category": category, "list": out, "nextPageCursor": nxt}

"""Bybit ``/v5/execution/list``: the account's fills and, as on Bybit, its funding payments.

A funding settlement is a row of ``execType`` ``Funding`` (what ccxt's
``fetch_funding_history`` asks for): ``execFee`` is what the position paid (negative:
received), ``feeRate`` the funding rate, ``execPrice`` and ``execQty`` the price and size it
was taken at, ``side`` the position's. Its ids are UUIDs derived from its ledger row's.
Newest first, in the 7-day window; ``execType`` filters (``Trade``, ``BustTrade``,
``Funding``).
"""

from __future__ import annotations

import uuid

from aiohttp import web

from sequence.venue.bybit.auth import private
from sequence.venue.bybit.common import SIDE, market_of, paginate, week_window
from sequence.venue.engine import Venue
from sequence.venue.model import ZERO, Account, ApiKey, Execution, LedgerEntry, fmt
from sequence.venue.protocol import JsonObject, time_window

Row = Execution | LedgerEntry


def _fill_row(x: Execution) -> JsonObject:
    o = x.order
    value = x.qty / x.price if o.market.kind == "inverse" else x.qty * x.price
    return {
        "symbol": o.market.bybit_symbol, "orderType": o.type.capitalize(),
        "underlyingPrice": "", "orderLinkId": o.link_id, "orderId": o.id,
        "stopOrderType": "UNKNOWN", "execTime": str(x.time),
        "feeCurrency": x.fee_coin if o.market.kind == "spot" else "",
        "createType": "CreateByLiq" if o.source == "liquidation" else "CreateByUser",
        "feeRate": fmt(x.fee_rate), "tradeIv": "",
        "blockTradeId": "", "markPrice": fmt(x.price), "execPrice": fmt(x.price),
        "markIv": "", "orderQty": fmt(o.qty), "orderPrice": fmt(o.price) if o.price else "0",
        "execValue": fmt(value),
        "closedSize": fmt(x.closed_size) if o.market.kind != "spot" else "",
        "execType": x.exec_type, "seq": x.seq, "side": SIDE[x.side], "indexPrice": "",
        "leavesQty": fmt(o.leaves), "isMaker": x.is_maker, "execFee": fmt(x.fee),
        "execId": x.id, "marketUnit": "", "execQty": fmt(x.qty), "extraFees": "",
    }


def _funding_row(e: LedgerEntry) -> JsonObject:
    pos, price = e.position, e.price
    if pos is None or price is None:  # a SETTLEMENT row always has both
        raise ValueError(f"ledger row {e.id} is not a funding settlement")
    m = pos.market
    value = e.size / price if m.kind == "inverse" else e.size * price
    paid = -e.funding
    sign = 1 if pos.side != "sell" else -1
    rate = paid / (sign * value) if value else ZERO
    return {
        "symbol": m.bybit_symbol, "orderType": "UNKNOWN", "underlyingPrice": "",
        "orderLinkId": "", "orderId": str(uuid.uuid5(uuid.NAMESPACE_OID, "order" + e.id)),
        "stopOrderType": "UNKNOWN", "execTime": str(e.time), "feeCurrency": "",
        "createType": "", "feeRate": fmt(rate), "tradeIv": "", "blockTradeId": "",
        "markPrice": fmt(price), "execPrice": fmt(price), "markIv": "", "orderQty": "0",
        "orderPrice": "0", "execValue": fmt(value), "closedSize": "0", "execType": "Funding",
        "seq": 0, "side": SIDE[pos.side or "buy"], "indexPrice": "", "leavesQty": "0",
        "isMaker": False, "execFee": fmt(paid),
        "execId": str(uuid.uuid5(uuid.NAMESPACE_OID, e.id)), "marketUnit": "",
        "execQty": fmt(e.size), "extraFees": "",
    }


def _time(r: Row) -> int:
    return r.time


@private()
def execution_list(request: web.Request, venue: Venue, key: ApiKey, account: Account,
                   params: JsonObject) -> JsonObject:
    category = params.get("category")
    m = market_of(venue, category, params.get("symbol"))
    exec_type = params.get("execType") or ""
    rows: list[Row] = [x for x in account.executions if x.order.market.kind == category
                       and (m is None or x.order.market.key == m.key)]
    if params.get("orderId"):
        rows = [x for x in rows if isinstance(x, Execution) and x.order.id == params["orderId"]]
    if params.get("orderLinkId"):
        rows = [x for x in rows
                if isinstance(x, Execution) and x.order.link_id == params["orderLinkId"]]
    if exec_type:
        rows = [x for x in rows if isinstance(x, Execution) and x.exec_type == exec_type]
    if exec_type in ("", "Funding") and category != "spot" and not (
            params.get("orderId") or params.get("orderLinkId")):
        rows += [e for e in account.ledger if e.type == "SETTLEMENT" and e.position is not None
                 and e.position.market.kind == category
                 and (m is None or e.position.market.key == m.key)]
        rows.sort(key=_time)  # fills and funding in time order (a stable sort)
    rows = time_window(rows, _time, *week_window(params, venue.now()))
    rows.reverse()
    page, nxt = paginate(rows, params, 50, 100)
    return {"list": [_fill_row(r) if isinstance(r, Execution) else _funding_row(r)
                     for r in page], "nextPageCursor": nxt, "category": category}

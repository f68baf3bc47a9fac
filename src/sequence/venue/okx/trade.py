"""OKX order endpoints: place, batch, cancel, get, pending, history; fills."""

from __future__ import annotations

import time
from typing import Any

from aiohttp import web

from sequence.venue.engine import Venue
from sequence.venue.model import Account, ApiKey, Order, VenueError, dec, fmt
from sequence.venue.okx.auth import ok, order_error, private, private_body
from sequence.venue.okx.common import (
    POS_SIDE,
    STATE,
    from_contracts,
    market_of,
    page_by_id,
    size_out,
)
from sequence.venue.okx.render import order_json
from sequence.venue.protocol import Answer, Body, JsonObject, Reject


def _place(venue: Venue, key: ApiKey, account: Account, req: object) -> JsonObject:
    if not isinstance(req, dict):
        raise Reject("51000", "Parameter error")
    m = market_of(venue, req.get("instId"))
    cl = str(req.get("clOrdId") or "")
    if len(cl) > 32 or (cl and not cl.isalnum()):
        raise VenueError("bad_param", "Parameter clOrdId error")
    ord_type = str(req.get("ordType") or "")
    tif = {"limit": "GTC", "post_only": "PostOnly", "ioc": "IOC", "fok": "IOC",
           "market": "IOC"}.get(ord_type)
    if tif is None:
        raise VenueError("bad_param", "Parameter ordType error")
    side = req.get("side", "")
    pos_side = req.get("posSide") or "net"
    idx = {"net": None, "long": 1, "short": 2}.get(pos_side, -1)
    if idx == -1:
        raise VenueError("bad_param", "Parameter posSide error")
    if m.kind == "spot":
        sz = dec(req.get("sz"))
        if ord_type == "market" and side == "buy" and req.get("tgtCcy", "quote_ccy") == "quote_ccy":
            qty = (sz / venue.last_price).quantize(m.qty_step, rounding="ROUND_DOWN")
        else:
            qty = sz
    else:
        qty = from_contracts(m, req.get("sz"))
    reduce = req.get("reduceOnly") in (True, "true", "True")
    order = venue.place_order(
        account, m, side=side, type_="market" if ord_type == "market" else "limit", qty=qty,
        price=req.get("px") if ord_type != "market" else None, tif=tif, reduce_only=reduce,
        position_idx=idx, link_id=cl, source="okx", tag=str(req.get("tag") or ""),
        reuse_link_id=True)
    return {"clOrdId": order.link_id, "ordId": order.id, "sCode": "0", "sMsg": "Order placed",
            "tag": order.tag, "ts": str(venue.wall_ms())}


def _place_many(venue: Venue, key: ApiKey, account: Account, reqs: list[Any]) -> Answer:
    results: list[JsonObject] = []
    failed = 0
    for req in reqs:
        try:
            results.append(_place(venue, key, account, req))
        except (VenueError, Reject) as e:
            failed += 1
            code, msg = (e.code, e.msg) if isinstance(e, Reject) else order_error(e)
            results.append({"clOrdId": str(req.get("clOrdId") or "") if isinstance(req, dict) else "",
                            "ordId": "", "sCode": code, "sMsg": msg,
                            "tag": str(req.get("tag") or "") if isinstance(req, dict) else "",
                            "ts": str(venue.wall_ms())})
    now_us = str(time.time_ns() // 1000)
    if failed == 0:
        code, msg = "0", ""
    elif failed == len(reqs):
        code, msg = "1", "All operations failed"
    else:
        code, msg = "2", "Bulk operation partially succeeded"
    return Answer({"code": code, "data": results, "inTime": now_us, "msg": msg,
                   "outTime": now_us}, code)


@private(trade=True)
def place_order(request: web.Request, venue: Venue, key: ApiKey, account: Account,
                params: JsonObject) -> Answer:
    return _place_many(venue, key, account, [params])


@private_body(trade=True)
def batch_orders(request: web.Request, venue: Venue, key: ApiKey, account: Account,
                 params: Body) -> Answer:
    if not isinstance(params, list) or not params or len(params) > 20:
        raise Reject("51000", "Parameter error")
    return _place_many(venue, key, account, params)


def _cancel(venue: Venue, account: Account, req: object) -> JsonObject:
    if not isinstance(req, dict):
        raise Reject("51000", "Parameter error")
    m = market_of(venue, req.get("instId"))
    oid, cl = str(req.get("ordId") or ""), str(req.get("clOrdId") or "")
    if not oid and not cl:
        raise Reject("51003", "Either client order ID or order ID is required.")
    order = venue.cancel_order(account, m, order_id=oid, link_id=cl)
    return {"clOrdId": order.link_id, "ordId": order.id, "sCode": "0", "sMsg": "",
            "ts": str(venue.wall_ms())}


def _cancel_many(venue: Venue, account: Account, reqs: list[Any], *,
                 batch: bool = False) -> Answer:
    """Each cancellation on its own; in a batch a malformed item (no id, unknown
    instrument) is that item's ``sCode`` too, the others go ahead."""
    results: list[JsonObject] = []
    failed = 0
    for req in reqs:
        try:
            results.append(_cancel(venue, account, req))
        except (VenueError, Reject) as e:
            if isinstance(e, Reject) and not batch:
                raise
            failed += 1
            code, msg = (str(e.code), e.msg) if isinstance(e, Reject) else order_error(e)
            item = req if isinstance(req, dict) else {}
            results.append({"clOrdId": str(item.get("clOrdId") or ""),
                            "ordId": str(item.get("ordId") or ""), "sCode": code, "sMsg": msg,
                            "ts": str(venue.wall_ms())})
    code = "0" if not failed else ("1" if failed == len(reqs) else "2")
    now_us = str(time.time_ns() // 1000)
    return Answer({"code": code, "data": results, "msg": "" if not failed else
                   "Operation failed.", "inTime": now_us, "outTime": now_us}, code)


@private(trade=True)
def cancel_order(request: web.Request, venue: Venue, key: ApiKey, account: Account,
                 params: JsonObject) -> Answer:
    return _cancel_many(venue, account, [params])


@private_body(trade=True)
def cancel_batch(request: web.Request, venue: Venue, key: ApiKey, account: Account,
                 params: Body) -> Answer:
    if not isinstance(params, list) or not params:
        raise Reject("51000", "Parameter error")
    return _cancel_many(venue, account, params, batch=True)


@private(trade=True)
def amend_order(request: web.Request, venue: Venue, key: ApiKey, account: Account,
                params: JsonObject) -> Answer:
    """``newSz`` is the new total size (filled part included; contracts for SWAP), ``newPx``
    the new price. A rejection comes as ``sCode`` in the one row, as OKX answers."""
    m = market_of(venue, params.get("instId"))
    oid, cl = str(params.get("ordId") or ""), str(params.get("clOrdId") or "")
    if not oid and not cl:
        raise Reject("51003", "Either client order ID or order ID is required.")
    new_sz, new_px = params.get("newSz"), params.get("newPx")
    if new_sz in (None, "") and new_px in (None, ""):
        raise Reject("51000", "Parameter newSz or newPx error")
    row: JsonObject = {"clOrdId": cl, "ordId": oid, "reqId": str(params.get("reqId") or "")}
    try:
        qty = None if new_sz in (None, "") else (
            dec(new_sz) if m.kind == "spot" else from_contracts(m, new_sz))
        order = venue.amend_order(account, m, order_id=oid, link_id=cl, qty=qty, price=new_px)
    except VenueError as e:
        code, msg = AMEND_ERRORS.get(e.kind) or order_error(e)
        row.update(sCode=code, sMsg=msg, ts=str(venue.wall_ms()))
        return Answer({"code": "1", "data": [row], "msg": "All operations failed"}, "1")
    row.update(clOrdId=order.link_id, ordId=order.id, sCode="0", sMsg="",
               ts=str(venue.wall_ms()))
    return ok([row])


AMEND_ERRORS = {
    "not_found": ("51503", "Order modification failed as the order does not exist."),
    "finished": ("51503", "Order modification failed as the order does not exist."),
    "amend_unchanged": ("51000", "Parameter newSz or newPx error"),
}


@private()
def get_order(request: web.Request, venue: Venue, key: ApiKey, account: Account,
              params: JsonObject) -> Answer:
    m = market_of(venue, params.get("instId"))
    oid, cl = str(params.get("ordId") or ""), str(params.get("clOrdId") or "")
    if not oid and not cl:
        raise Reject("51003", "Either client order ID or order ID is required.")
    o = venue.find_order(account, order_id=oid, link_id=cl)
    if o is None or o.market.key != m.key:
        raise Reject("51603", "Order does not exist")
    return ok([order_json(venue, account, o)])


def _filter_orders(orders: list[Order], params: JsonObject) -> list[Order]:
    out: list[Order] = []
    for o in orders:
        if params.get("instType") and o.market.okx_inst_type != params["instType"]:
            continue
        if params.get("instId") and o.market.okx_inst_id != params["instId"]:
            continue
        out.append(o)
    return out


@private()
def orders_pending(request: web.Request, venue: Venue, key: ApiKey, account: Account,
                   params: JsonObject) -> Answer:
    orders = sorted(account.open_orders.values(), key=lambda o: -o.seq)
    orders = _filter_orders(orders, params)
    return ok([order_json(venue, account, o) for o in page_by_id(orders, params, lambda o: o.id)])


@private()
def orders_history(request: web.Request, venue: Venue, key: ApiKey, account: Account,
                   params: JsonObject) -> Answer:
    if not params.get("instType"):
        raise Reject("50014", "Parameter instType can not be empty.")
    orders = _filter_orders(venue.closed_orders(account), params)
    if params.get("state"):
        orders = [o for o in orders if STATE[o.status] == params["state"]]
    return ok([order_json(venue, account, o) for o in page_by_id(orders, params, lambda o: o.id)])


@private()
def fills(request: web.Request, venue: Venue, key: ApiKey, account: Account,
          params: JsonObject) -> Answer:
    execs = list(reversed(account.executions))
    if params.get("instType"):
        execs = [x for x in execs if x.order.market.okx_inst_type == params["instType"]]
    if params.get("instId"):
        execs = [x for x in execs if x.order.market.okx_inst_id == params["instId"]]
    if params.get("ordId"):
        execs = [x for x in execs if x.order.id == params["ordId"]]
    if params.get("begin"):
        execs = [x for x in execs if x.time >= int(params["begin"])]
    if params.get("end"):
        execs = [x for x in execs if x.time <= int(params["end"])]
    rows = []
    for x in page_by_id(execs, params, lambda x: x.id):
        o = x.order
        rows.append({
            "side": x.side, "fillSz": size_out(o, x.qty), "fillPx": fmt(x.price),
            "fillPxVol": "", "fillFwdPx": "", "fee": fmt(-x.fee), "fillPnl": fmt(x.pnl),
            "ordId": o.id, "feeRate": fmt(-x.fee_rate), "instType": o.market.okx_inst_type,
            "fillPxUsd": "", "instId": o.market.okx_inst_id, "clOrdId": o.link_id,
            "posSide": POS_SIDE[o.position_idx], "billId": x.bill_id or x.id, "fillMarkVol": "",
            "tag": o.tag, "fillTime": str(x.time), "execType": "M" if x.is_maker else "T",
            "tradeId": x.id, "fillIdxPx": "", "fillMarkPx": "", "feeCcy": x.fee_coin,
            "ts": str(x.time), "subType": "", "tradeQuoteCcy": "",
        })
    return ok(rows)

"""Bybit public market endpoints: server time, instruments, tickers, book, klines, trades."""

from __future__ import annotations

import time
import uuid

from aiohttp import web

from sequence.venue.bybit.auth import public
from sequence.venue.bybit.common import SIDE, limit_of, market_of
from sequence.venue.bybit.render import instrument_json
from sequence.venue.engine import Venue
from sequence.venue.history import day_stats, klines, next_funding_ms, recent_trades
from sequence.venue.model import ZERO, Market, fmt
from sequence.venue.protocol import JsonObject, Query, Reject


@public
def instruments_info(request: web.Request, venue: Venue, params: Query) -> JsonObject:
    """Option markets are not emulated: ``category=option`` (which ccxt's default
    ``load_markets`` asks for, per base coin) lists none, as for a coin without options."""
    category = params.get("category", "")
    if category != "option":
        market_of(venue, category, None)
    if category == "option" or (params.get("status") and params["status"] != "Trading"):
        items = []
    else:
        items = [instrument_json(m) for m in venue.markets.values() if m.kind == category
                 and (not params.get("symbol") or m.bybit_symbol == params["symbol"])]
    return {"category": category, "list": items, "nextPageCursor": ""}


@public
def server_time(request: web.Request, venue: Venue, params: Query) -> JsonObject:
    ns = time.time_ns()
    return {"timeSecond": str(ns // 10**9), "timeNano": str(ns)}


@public
def system_status(request: web.Request, venue: Venue, params: Query) -> JsonObject:
    """No maintenance is ever scheduled (ccxt's ``fetch_status``: "ok")."""
    return {"list": []}


@public
def tickers(request: web.Request, venue: Venue, params: Query) -> JsonObject:
    """``time`` in each row (an emulator addition ccxt reads as the ticker's timestamp) is
    market time, like the prices; the envelope's ``time`` is the wall clock."""
    category = params.get("category", "")
    market_of(venue, category, params.get("symbol"))
    p = fmt(venue.last_price)
    day = day_stats(venue)
    rate = fmt(venue.profile.funding_rate)
    now = venue.now()
    out = []
    for m in venue.markets.values():
        if m.kind != category or (params.get("symbol") and m.bybit_symbol != params["symbol"]):
            continue
        bid, ask = venue.quote(m)
        bids, asks = venue.book(m, 1)
        change = (venue.last_price - day["open"]) / day["open"] if day["open"] else ZERO
        row = {"symbol": m.bybit_symbol, "lastPrice": p, "bid1Price": fmt(bid),
               "bid1Size": fmt(bids[0][1]) if bids else "0", "ask1Price": fmt(ask),
               "ask1Size": fmt(asks[0][1]) if asks else "0", "prevPrice24h": fmt(day["open"]),
               "price24hPcnt": fmt(round(change, 6)), "highPrice24h": fmt(day["high"]),
               "lowPrice24h": fmt(day["low"]), "turnover24h": fmt(day["turnover"]),
               "volume24h": fmt(day["volume"]), "time": now}
        if m.kind != "spot":
            row.update({"indexPrice": p, "markPrice": p, "prevPrice1h": p, "openInterest": "0",
                        "openInterestValue": "0", "fundingRate": rate,
                        "nextFundingTime": str(next_funding_ms(now)),
                        "predictedDeliveryPrice": "", "basisRate": "", "deliveryFeeRate": "",
                        "deliveryTime": "0", "basis": "", "preOpenPrice": "", "preQty": "",
                        "curPreListingPhase": "", "timestamp": now})
        else:
            row["usdIndexPrice"] = p
        out.append(row)
    return {"category": category, "list": out}


def _symbol_market(venue: Venue, params: Query) -> Market:
    m = market_of(venue, params.get("category"), params.get("symbol"))
    if m is None:
        raise Reject(10001, "Missing some parameters that must be filled in, symbol")
    return m


@public
def orderbook(request: web.Request, venue: Venue, params: Query) -> JsonObject:
    m = _symbol_market(venue, params)
    depth = limit_of(params, 1 if m.kind == "spot" else 25, 200 if m.kind == "spot" else 500)
    bids, asks = venue.book(m, depth)
    now = venue.now()
    return {"s": m.bybit_symbol, "b": [[fmt(p), fmt(q)] for p, q in bids],
            "a": [[fmt(p), fmt(q)] for p, q in asks], "ts": now, "u": venue.candles_done,
            "seq": venue.candles_done, "cts": now}


INTERVALS = {"1": 1, "3": 3, "5": 5, "15": 15, "30": 30, "60": 60, "120": 120, "240": 240,
             "360": 360, "720": 720, "D": 1440, "W": 10080}


@public
def kline(request: web.Request, venue: Venue, params: Query) -> JsonObject:
    m = _symbol_market(venue, params)
    minutes = INTERVALS.get(str(params.get("interval", "")))
    if minutes is None:
        raise Reject(10001, "Invalid period!")
    try:
        start = int(params["start"]) if params.get("start") else None
        end = int(params["end"]) if params.get("end") else None
    except ValueError:
        raise Reject(10001, "params error: start/end") from None
    rows = klines(venue, minutes, start=start, end=end, limit=limit_of(params, 200, 1000))
    return {"category": m.kind, "symbol": m.bybit_symbol, "list": [
        [str(ts), fmt(o), fmt(h), fmt(low), fmt(c),
         fmt(v * c if m.kind == "inverse" else v), fmt(v if m.kind == "inverse" else v * c)]
        for ts, o, h, low, c, v in rows]}


def _uuid(trade_id: str) -> str:
    """Bybit's derivative trades carry UUIDs: a venue-wide numeric trade id (a candle's print,
    or an OKX fill) as a stable UUID; a Bybit fill's id already is one."""
    return trade_id if "-" in trade_id else str(uuid.uuid5(uuid.NAMESPACE_OID, trade_id))


@public
def recent_trade(request: web.Request, venue: Venue, params: Query) -> JsonObject:
    m = _symbol_market(venue, params)
    rows = recent_trades(venue, m, limit_of(params, 60 if m.kind == "spot" else 500,
                                            60 if m.kind == "spot" else 1000))
    return {"category": m.kind, "list": [
        {"execId": tid if m.kind == "spot" else _uuid(tid), "symbol": m.bybit_symbol, "price": fmt(px), "size": fmt(qty),
         "side": SIDE[side], "time": str(ts), "isBlockTrade": False, "isRPITrade": False}
        for tid, ts, px, qty, _base, side in rows]}

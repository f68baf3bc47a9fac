"""Bybit public market endpoints: server time, instruments, tickers."""

from __future__ import annotations

import time

from sequence.venue.bybit.auth import public
from sequence.venue.bybit.common import market_of
from sequence.venue.bybit.render import instrument_json
from sequence.venue.engine import Venue
from sequence.venue.model import fmt


@public
def instruments_info(request, venue: Venue, params: dict):
    category = params.get("category", "")
    market_of(venue, category, None)
    if params.get("status") and params["status"] != "Trading":
        items = []
    else:
        items = [instrument_json(m) for m in venue.markets.values() if m.kind == category
                 and (not params.get("symbol") or m.bybit_symbol == params["symbol"])]
    return {"category": category, "list": items, "nextPageCursor": ""}


@public
def server_time(request, venue: Venue, params: dict):
    ns = time.time_ns()
    return {"timeSecond": str(ns // 10**9), "timeNano": str(ns)}


@public
def tickers(request, venue: Venue, params: dict):
    category = params.get("category", "")
    market_of(venue, category, params.get("symbol"))
    p = fmt(venue.last_price)
    out = []
    for m in venue.markets.values():
        if m.kind != category or (params.get("symbol") and m.bybit_symbol != params["symbol"]):
            continue
        row = {"symbol": m.bybit_symbol, "lastPrice": p, "bid1Price": p, "bid1Size": "1",
               "ask1Price": p, "ask1Size": "1", "prevPrice24h": p, "price24hPcnt": "0",
               "highPrice24h": p, "lowPrice24h": p, "turnover24h": "0", "volume24h": "0"}
        if m.kind != "spot":
            row.update({"indexPrice": p, "markPrice": p, "prevPrice1h": p, "openInterest": "0",
                        "openInterestValue": "0", "fundingRate": "0.0001",
                        "nextFundingTime": "0", "predictedDeliveryPrice": "",
                        "basisRate": "", "deliveryFeeRate": "", "deliveryTime": "0", "basis": ""})
        else:
            row["usdIndexPrice"] = p
        out.append(row)
    return {"category": category, "list": out}

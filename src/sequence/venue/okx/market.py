"""OKX public market endpoints: server time, status, instruments, tickers, books, candles, trades."""

from __future__ import annotations

from aiohttp import web

from sequence.venue.engine import Venue
from sequence.venue.history import klines, recent_trades
from sequence.venue.model import fmt
from sequence.venue.okx.auth import ok, public
from sequence.venue.okx.common import market_of
from sequence.venue.okx.render import instrument_json, sz, ticker_json
from sequence.venue.protocol import Answer, Query, Reject


@public
def instruments(request: web.Request, venue: Venue, params: Query) -> Answer:
    t = params.get("instType", "")
    if t not in ("SPOT", "MARGIN", "SWAP", "FUTURES", "OPTION"):
        raise Reject("51000", "Parameter instType error")
    return ok([instrument_json(m) for m in venue.markets.values() if m.okx_inst_type == t
               and (not params.get("instId") or m.okx_inst_id == params["instId"])])


@public
def server_time(request: web.Request, venue: Venue, params: Query) -> Answer:
    return ok([{"ts": str(venue.wall_ms())}])


@public
def status(request: web.Request, venue: Venue, params: Query) -> Answer:
    return ok([])


@public
def ticker(request: web.Request, venue: Venue, params: Query) -> Answer:
    return ok([ticker_json(venue, market_of(venue, params.get("instId")))])


@public
def tickers(request: web.Request, venue: Venue, params: Query) -> Answer:
    return ok([ticker_json(venue, m) for m in venue.markets.values()
               if m.okx_inst_type == params.get("instType")])


def _limit(params: Query, default: int, maximum: int) -> int:
    try:
        return max(1, min(int(params.get("limit") or params.get("sz") or default), maximum))
    except ValueError:
        raise Reject("51000", "Parameter limit error") from None


@public
def books(request: web.Request, venue: Venue, params: Query) -> Answer:
    m = market_of(venue, params.get("instId"))
    bids, asks = venue.book(m, _limit(params, 1, 400))
    return ok([{"asks": [[fmt(p), sz(m, q), "0", "1"] for p, q in asks],
                "bids": [[fmt(p), sz(m, q), "0", "1"] for p, q in bids],
                "ts": str(venue.now())}])


BARS = {"1m": 1, "3m": 3, "5m": 5, "15m": 15, "30m": 30, "1H": 60, "2H": 120, "4H": 240,
        "6H": 360, "12H": 720, "1D": 1440, "1Dutc": 1440, "1W": 10080, "1Wutc": 10080}


@public
def candles(request: web.Request, venue: Venue, params: Query) -> Answer:
    """``after``: older than that ts; ``before``: newer than that ts (OKX's own words)."""
    m = market_of(venue, params.get("instId"))
    minutes = BARS.get(params.get("bar") or "1m")
    if minutes is None:
        raise Reject("51000", "Parameter bar error")
    try:
        after = int(params["after"]) if params.get("after") else None
        before = int(params["before"]) if params.get("before") else None
    except ValueError:
        raise Reject("51000", "Parameter after error") from None
    rows = klines(venue, minutes, start=before + 1 if before is not None else None,
                  end=after - 1 if after is not None else None, limit=10**9)
    rows = [r for r in rows if (after is None or r[0] < after) and
            (before is None or r[0] > before)][:_limit(params, 100, 300)]
    now = venue.now()
    out = []
    for ts, o, h, low, c, v in rows:
        base = v
        qty = base * c if m.kind == "inverse" else base
        confirm = "1" if ts + minutes * 60_000 <= now else "0"
        vol_ccy = base * c if m.kind == "spot" else base
        out.append([str(ts), fmt(o), fmt(h), fmt(low), fmt(c), sz(m, qty), fmt(vol_ccy),
                    fmt(base * c), confirm])
    return ok(out)


@public
def trades(request: web.Request, venue: Venue, params: Query) -> Answer:
    m = market_of(venue, params.get("instId"))
    rows = recent_trades(venue, m, _limit(params, 100, 500))
    return ok([{"instId": m.okx_inst_id, "side": side, "sz": sz(m, qty), "px": fmt(px),
                "tradeId": tid, "ts": str(ts), "source": "0"}
               for tid, ts, px, qty, _base, side in rows])

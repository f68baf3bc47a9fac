"""OKX public market endpoints: server time, status, instruments, tickers."""

from __future__ import annotations

from sequence.venue.engine import Venue
from sequence.venue.okx.auth import ok, public
from sequence.venue.okx.common import market_of
from sequence.venue.okx.render import instrument_json, ticker_json
from sequence.venue.protocol import Reject


@public
def instruments(request, venue: Venue, params):
    t = params.get("instType", "")
    if t not in ("SPOT", "MARGIN", "SWAP", "FUTURES", "OPTION"):
        raise Reject("51000", "Parameter instType error")
    return ok([instrument_json(m) for m in venue.markets.values() if m.okx_inst_type == t
               and (not params.get("instId") or m.okx_inst_id == params["instId"])])


@public
def server_time(request, venue: Venue, params):
    return ok([{"ts": str(venue.wall_ms())}])


@public
def status(request, venue: Venue, params):
    return ok([])


@public
def ticker(request, venue: Venue, params):
    return ok([ticker_json(venue, market_of(venue, params.get("instId")))])


@public
def tickers(request, venue: Venue, params):
    return ok([ticker_json(venue, m) for m in venue.markets.values()
               if m.okx_inst_type == params.get("instType")])

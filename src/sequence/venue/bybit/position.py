"""Bybit position endpoints: list, switch-mode, set-leverage."""

from __future__ import annotations

from sequence.venue.bybit.auth import private
from sequence.venue.bybit.common import market_of, paginate
from sequence.venue.bybit.render import position_json
from sequence.venue.engine import Venue
from sequence.venue.model import Account
from sequence.venue.protocol import Reject


@private()
def position_list(request, venue: Venue, key, account: Account, params):
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
def switch_mode(request, venue: Venue, key, account: Account, params):
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
def set_leverage(request, venue: Venue, key, account: Account, params):
    m = market_of(venue, params.get("category"), params.get("symbol"))
    if m is None or m.kind == "spot":
        raise Reject(10001, "params error: symbol invalid")
    if str(params.get("buyLeverage")) != str(params.get("sellLeverage")):
        raise Reject(10001, "buyLeverage must equal sellLeverage in cross margin")
    venue.set_leverage(account, m, params.get("buyLeverage"))
    return {}

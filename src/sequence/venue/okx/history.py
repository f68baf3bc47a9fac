"""OKX position history (``/account/positions-history``, ccxt's ``fetch_positions_history``).

One row per closing order (the venue's :class:`~sequence.venue.model.Closure`), newest first:
``type`` 1 closed partly, 2 closed whole, 3 liquidated; ``pnl`` before fees, ``fee`` the
opening and closing fees of the closed part (negative: paid), ``realizedPnl`` their sum.
``after``/``before`` page by ``uTime``: rows older (newer) than that time.
"""

from __future__ import annotations

from aiohttp import web

from sequence.venue.engine import Venue
from sequence.venue.model import ZERO, Account, ApiKey, Closure, fmt
from sequence.venue.okx.auth import ok, private
from sequence.venue.okx.common import POS_SIDE, to_contracts
from sequence.venue.protocol import Answer, JsonObject, Reject


def _type(c: Closure) -> str:
    if c.order.source == "liquidation":
        return "3"
    return "2" if c.flat else "1"


def _row(account: Account, c: Closure) -> JsonObject:
    m = c.order.market
    p = c.position
    margin = c.entry_value / c.leverage if c.leverage else ZERO
    contracts = fmt(to_contracts(m, c.closed))
    return {
        "instType": "SWAP", "instId": m.okx_inst_id, "mgnMode": "cross", "type": _type(c),
        "cTime": str(p.created), "uTime": str(c.updated), "openAvgPx": fmt(c.avg_entry),
        "nonSettleAvgPx": "", "closeAvgPx": fmt(c.avg_exit),
        "posId": f"{account.id}{p.idx}{len(m.key)}", "openMaxPos": contracts,
        "closeTotalPos": contracts, "realizedPnl": fmt(c.net_pnl), "settledPnl": "",
        "pnlRatio": fmt(c.net_pnl / margin) if margin else "0",
        "fee": fmt(-(c.open_fee + c.close_fee)), "fundingFee": "0", "liqPenalty": "0",
        "pnl": fmt(c.pnl), "posSide": POS_SIDE[p.idx], "lever": fmt(c.leverage),
        "direction": "long" if c.side == "buy" else "short", "triggerPx": "",
        "uly": f"{m.base}-{m.quote}", "ccy": m.settle,
    }


@private()
def positions_history(request: web.Request, venue: Venue, key: ApiKey, account: Account,
                      params: JsonObject) -> Answer:
    rows = list(reversed(account.closures))
    if params.get("instType") and params["instType"] != "SWAP":
        rows = []
    if params.get("instId"):
        rows = [c for c in rows if c.order.market.okx_inst_id == params["instId"]]
    if params.get("type"):
        rows = [c for c in rows if _type(c) == params["type"]]
    try:
        limit = max(1, min(int(params.get("limit") or 100), 100))
        if params.get("after"):
            rows = [c for c in rows if c.updated < int(params["after"])]
        if params.get("before"):
            rows = [c for c in rows if c.updated > int(params["before"])]
    except ValueError:
        raise Reject("51000", "Parameter error") from None
    return ok([_row(account, c) for c in rows[:limit]])

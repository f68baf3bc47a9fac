"""OKX JSON shapes of the venue's records (instruments, tickers, positions, orders)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sequence.venue.engine import Venue
from sequence.venue.history import day_stats
from sequence.venue.model import Account, Market, Order, Position, fmt
from sequence.venue.okx.common import POS_SIDE, STATE, lot, size_out, to_contracts
from sequence.venue.protocol import JsonObject


def instrument_json(m: Market) -> dict[str, Any]:
    spot = m.kind == "spot"
    d: JsonObject = dict.fromkeys(("alias", "auctionEndTime", "baseCcy", "category", "ctMult", "ctType", "ctVal", "ctValCcy", "expTime", "futureSettlement", "instFamily", "instId", "instType", "lever", "listTime", "lotSz", "maxIcebergSz", "maxLmtAmt", "maxLmtSz", "maxMktAmt", "maxMktSz", "maxStopSz", "maxTriggerSz", "maxTwapSz", "minSz", "optType", "quoteCcy", "ruleType", "settleCcy", "state", "stk", "tickSz", "uly", "openType", "contTdSwTime", "preMktSwTime", "tradeQuoteCcyList", "instIdCode"), "")
    d.update(instId=m.okx_inst_id, instType=m.okx_inst_type, category="1", state="live",
             tickSz=fmt(m.tick), listTime="1548133413000", ruleType="normal",
             maxLmtAmt="20000000", maxMktAmt="1000000", instIdCode=hash(m.okx_inst_id) % 10**6,
             futureSettlement=False, tradeQuoteCcyList=[m.quote] if spot else [])
    if spot:
        d.update(baseCcy=m.base, quoteCcy=m.quote, lotSz=fmt(m.qty_step), minSz=fmt(m.min_qty),
                 maxLmtSz=fmt(m.max_qty), maxMktSz="1000000")
    else:
        d.update(ctMult="1", ctType="linear" if m.kind == "linear" else "inverse",
                 ctVal=fmt(m.okx_ct_val), ctValCcy=m.base if m.kind == "linear" else "USD",
                 instFamily=f"{m.base}-{m.quote}", uly=f"{m.base}-{m.quote}", lever="100",
                 settleCcy=m.settle, lotSz=fmt(lot(m)),
                 minSz=fmt(max(lot(m), to_contracts(m, m.min_qty))),
                 maxLmtSz=fmt(to_contracts(m, m.max_qty)), maxMktSz="12000")
    return d


def sz(m: Market, qty: Decimal) -> str:
    """A size in OKX's unit: the base coin for SPOT, contracts for SWAP."""
    return fmt(qty if m.kind == "spot" else to_contracts(m, qty))


def ticker_json(venue: Venue, m: Market) -> dict[str, Any]:
    """Prices and ``ts`` follow the market clock."""
    p = fmt(venue.last_price)
    bid, ask = venue.quote(m)
    bids, asks = venue.book(m, 1)
    day = day_stats(venue)
    vol = day["volume"]
    return {"instType": m.okx_inst_type, "instId": m.okx_inst_id, "last": p, "lastSz": "1",
            "askPx": fmt(ask), "askSz": sz(m, asks[0][1]) if asks else "0", "bidPx": fmt(bid),
            "bidSz": sz(m, bids[0][1]) if bids else "0", "open24h": fmt(day["open"]),
            "high24h": fmt(day["high"]), "low24h": fmt(day["low"]),
            "volCcy24h": fmt(day["turnover"] if m.kind == "spot" else vol),
            "vol24h": fmt(vol if m.kind == "spot" else to_contracts(
                m, vol * venue.last_price if m.kind == "inverse" else vol)),
            "ts": str(venue.now()), "sodUtc0": fmt(day["open"]), "sodUtc8": fmt(day["open"])}


_POS_KEYS = (
    "adl", "availPos", "avgPx", "baseBal", "baseBorrowed", "baseInterest", "bePx", "bizRefId",
    "bizRefType", "cTime", "ccy", "closeOrderAlgo", "deltaBS", "deltaPA", "fee", "fundingFee",
    "gammaBS", "gammaPA", "idxPx", "imr", "instId", "instType", "interest", "last", "lever",
    "liab", "liabCcy", "liqPenalty", "liqPx", "margin", "markPx", "mgnMode", "mgnRatio", "mmr",
    "notionalUsd", "optVal", "pendingCloseOrdLiabVal", "pnl", "pos", "posCcy", "posId",
    "posSide", "quoteBal", "quoteBorrowed", "quoteInterest", "realizedPnl", "spotInUseAmt",
    "spotInUseCcy", "thetaBS", "thetaPA", "tradeId", "uTime", "upl", "uplLastPx", "uplRatio",
    "uplRatioLastPx", "usdPx", "vegaBS", "vegaPA", "clSpotInUseAmt", "hedgedPos",
    "maxSpotInUseAmt")


def position_json(venue: Venue, account: Account, p: Position) -> dict[str, Any]:
    m = p.market
    price = venue.last_price
    contracts = to_contracts(m, p.size)
    if p.idx == 0 and p.side == "sell":
        contracts = -contracts
    d: JsonObject = dict.fromkeys(_POS_KEYS, "")
    upl = p.upl(price)
    margin = p.margin()
    d.update(adl="1", availPos=fmt(abs(contracts)), avgPx=fmt(p.entry), cTime=str(p.created),
             ccy=m.settle, closeOrderAlgo=[], fee="0", fundingFee="0", idxPx=fmt(price),
             imr=fmt(margin), instId=m.okx_inst_id, instType="SWAP", last=fmt(price),
             lever=fmt(p.leverage), liqPenalty="0", markPx=fmt(price), mgnMode="cross",
             liqPx=fmt(venue.liq_price(account, p)),
             mmr=fmt((p.size / price if m.kind == "inverse" else p.size * price)
                     * venue.profile.maintenance_margin), notionalUsd=fmt(p.size if m.kind == "inverse" else p.size * price),
             pnl=fmt(p.realized), pos=fmt(contracts), posId=f"{account.id}{p.idx}{len(m.key)}",
             posSide=POS_SIDE[p.idx], realizedPnl=fmt(p.realized), tradeId="",
             uTime=str(p.updated or p.created), upl=fmt(upl), uplLastPx=fmt(upl),
             uplRatio=fmt(upl / margin) if margin else "0",
             uplRatioLastPx=fmt(upl / margin) if margin else "0", bePx=fmt(p.entry))
    return d


_ORDER_KEYS = (
    "accFillSz", "algoClOrdId", "algoId", "attachAlgoClOrdId", "attachAlgoOrds", "avgPx",
    "cTime", "cancelSource", "cancelSourceReason", "category", "ccy", "clOrdId", "fee",
    "feeCcy", "fillPx", "fillSz", "fillTime", "instId", "instType", "isTpLimit", "lever",
    "linkedAlgoOrd", "ordId", "ordType", "pnl", "posSide", "px", "pxType", "pxUsd", "pxVol",
    "quickMgnType", "rebate", "rebateCcy", "reduceOnly", "side", "slOrdPx", "slTriggerPx",
    "slTriggerPxType", "source", "state", "stpId", "stpMode", "sz", "tag", "tdMode", "tgtCcy",
    "tpOrdPx", "tpTriggerPx", "tpTriggerPxType", "tradeId", "uTime", "tradeQuoteCcy")


def order_json(venue: Venue, account: Account, o: Order) -> dict[str, Any]:
    m = o.market
    d: JsonObject = dict.fromkeys(_ORDER_KEYS, "")
    last = next((x for x in reversed(account.executions) if x.order is o), None) \
        if o.filled else None
    if o.type == "market":
        ord_type = "market"
    elif o.tif == "PostOnly":
        ord_type = "post_only"
    elif o.tif == "IOC":
        ord_type = "ioc"
    else:
        ord_type = "limit"
    d.update(accFillSz=size_out(o, o.filled), attachAlgoOrds=[],
             avgPx=fmt(o.avg_price) if o.avg_price is not None else "", cTime=str(o.created),
             category="full_liquidation" if o.source == "liquidation" else "normal",
             clOrdId=o.link_id, fee=fmt(-o.fee), feeCcy=o.fee_coin or m.settle,
             fillPx=fmt(last.price) if last else "", fillSz=size_out(o, last.qty) if last else "0",
             fillTime=str(last.time) if last else "", instId=m.okx_inst_id,
             instType=m.okx_inst_type, isTpLimit="false",
             lever="" if m.kind == "spot" else fmt(account.lev(m)), linkedAlgoOrd={"algoId": ""},
             ordId=o.id, ordType=ord_type, pnl="0", posSide=POS_SIDE[o.position_idx],
             px=fmt(o.price) if o.price is not None else "", rebate="0", rebateCcy=m.quote,
             reduceOnly="true" if o.reduce_only else "false", side=o.side,
             state=STATE[o.status], stpMode="cancel_maker", sz=size_out(o, o.qty), tag=o.tag,
             tdMode="cash" if m.kind == "spot" else "cross",
             tgtCcy="base_ccy" if m.kind == "spot" and o.type == "market" else "",
             tradeId=last.id if last else "", uTime=str(o.updated),
             tradeQuoteCcy=m.quote if m.kind == "spot" else "")
    if o.cancel_type == "CancelByPostOnly":
        d["cancelSource"] = "31"
        d["cancelSourceReason"] = "The post-only order will take liquidity in maker orders"
    return d

"""Bybit JSON shapes of the venue's records (orders, positions, instruments)."""

from __future__ import annotations

from typing import Any

from sequence.venue.bybit.common import SIDE
from sequence.venue.engine import Venue
from sequence.venue.model import ZERO, Account, Market, Order, Position, fmt


def order_json(o: Order) -> dict[str, Any]:
    m = o.market
    avg = o.avg_price
    leaves = o.leaves
    status = o.status
    if status == "New" and o.filled > 0:
        status = "PartiallyFilled"
    return {
        "symbol": m.bybit_symbol, "orderType": o.type.capitalize(), "orderLinkId": o.link_id,
        "slLimitPrice": "0", "orderId": o.id, "cancelType": o.cancel_type,
        "avgPrice": fmt(avg) if avg is not None else ("0" if m.kind == "spot" else ""),
        "stopOrderType": "", "lastPriceOnCreated": fmt(o.last_price_on_created),
        "orderStatus": status,
        "createType": "CreateByLiq" if o.source == "liquidation" else "CreateByUser",
        "takeProfit": "",
        "cumExecValue": fmt(o.value), "tpslMode": "", "smpType": "None",
        "triggerDirection": 0, "blockTradeId": "",
        "cumFeeDetail": {o.fee_coin: fmt(o.fee)} if o.fee_coin else {},
        "isLeverage": "", "rejectReason": o.reject_reason,
        "price": fmt(o.price) if o.price is not None else "0", "orderIv": "",
        "createdTime": str(o.created), "tpTriggerBy": "", "positionIdx": o.position_idx,
        "timeInForce": o.tif, "leavesValue": fmt(leaves * (o.price or ZERO)) if m.kind != "inverse" else fmt(leaves / o.price if o.price else ZERO),
        "updatedTime": str(o.updated), "side": SIDE[o.side], "smpGroup": 0,
        "triggerPrice": "", "tpLimitPrice": "0", "cumExecFee": fmt(o.fee),
        "slTriggerBy": "", "leavesQty": fmt(leaves), "closeOnTrigger": False,
        "placeType": "", "cumExecQty": fmt(o.filled), "reduceOnly": o.reduce_only,
        "qty": fmt(o.qty), "stopLoss": "", "marketUnit": "", "smpOrderId": "",
        "triggerBy": "", "slippageToleranceType": "UNKNOWN", "slippageTolerance": "0",
        "extraFees": "",
    }


def instrument_json(m: Market) -> dict[str, Any]:
    if m.kind == "spot":
        return {"symbol": m.bybit_symbol, "baseCoin": m.base, "quoteCoin": m.quote,
                "innovation": "0", "status": "Trading", "marginTrading": "utaOnly",
                "stTag": "0",
                "lotSizeFilter": {"basePrecision": fmt(m.qty_step), "quotePrecision": "0.00000001",
                                  "minOrderQty": fmt(m.min_qty), "maxOrderQty": fmt(m.max_qty),
                                  "minOrderAmt": fmt(m.min_notional), "maxOrderAmt": "8000000"},
                "priceFilter": {"tickSize": fmt(m.tick)},
                "riskParameters": {"priceLimitRatioX": "0.005", "priceLimitRatioY": "0.01"}}
    return {
        "symbol": m.bybit_symbol,
        "contractType": "LinearPerpetual" if m.kind == "linear" else "InversePerpetual",
        "status": "Trading", "baseCoin": m.base, "quoteCoin": m.quote,
        "launchTime": "1585526400000", "deliveryTime": "0", "deliveryFeeRate": "",
        "priceScale": "2",
        "leverageFilter": {"minLeverage": "1", "maxLeverage": "100.00", "leverageStep": "0.01"},
        "priceFilter": {"minPrice": fmt(m.tick), "maxPrice": "1999999.80", "tickSize": fmt(m.tick)},
        "lotSizeFilter": {"maxOrderQty": fmt(m.max_qty), "minOrderQty": fmt(m.min_qty),
                          "qtyStep": fmt(m.qty_step), "postOnlyMaxOrderQty": fmt(m.max_qty),
                          "maxMktOrderQty": fmt(m.max_qty),
                          "minNotionalValue": fmt(m.min_notional)},
        "unifiedMarginTrade": True, "fundingInterval": 480, "settleCoin": m.settle,
        "copyTrading": "both", "upperFundingRate": "0.005", "lowerFundingRate": "-0.005",
        "isPreListing": False, "preListingInfo": None,
    }


def position_json(venue: Venue, account: Account, p: Position) -> dict[str, Any]:
    m = p.market
    price = venue.last_price
    value = (p.size / p.entry if m.kind == "inverse" else p.size * p.entry) if p.size else ZERO
    return {
        "symbol": m.bybit_symbol, "leverage": fmt(p.leverage), "autoAddMargin": 0,
        "avgPrice": fmt(p.entry), "liqPrice": fmt(venue.liq_price(account, p)), "riskLimitValue": "2000000",
        "takeProfit": "", "positionValue": fmt(value), "isReduceOnly": False,
        "tpslMode": "Full", "riskId": 1, "trailingStop": "0",
        "unrealisedPnl": fmt(p.upl(price)), "markPrice": fmt(price), "adlRankIndicator": 2 if p.size else 0,
        "cumRealisedPnl": fmt(p.realized),
        "positionMM": fmt(value * venue.profile.maintenance_margin),
        "createdTime": str(p.created), "positionIdx": p.idx, "positionIM": fmt(p.margin()),
        "seq": venue.candles_done, "updatedTime": str(p.updated or p.created),
        "side": SIDE.get(p.side, ""), "bustPrice": fmt(venue.bust_price(account, p)), "positionBalance": fmt(p.margin()),
        "leverageSysUpdatedTime": "", "curRealisedPnl": fmt(p.realized), "size": fmt(p.size),
        "positionStatus": "Normal", "mmrSysUpdatedTime": "", "stopLoss": "", "tradeMode": 0,
        "sessionAvgPrice": "",
    }

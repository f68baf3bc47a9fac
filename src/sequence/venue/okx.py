"""OKX v5 over HTTP (``/api/v5/...``), as ccxt's ``okx`` class calls it.

Authentication as the real one: headers ``OK-ACCESS-KEY``, ``OK-ACCESS-PASSPHRASE``,
``OK-ACCESS-TIMESTAMP`` (ISO 8601 with milliseconds), ``OK-ACCESS-SIGN`` = base64
HMAC-SHA256 of ``timestamp + METHOD + path(?query) + body``. The timestamp must be
within 30 s of the wall clock. Rejections (HTTP 401 for authentication):

=====  ========================================  =======================
code   when                                      ccxt raises
=====  ========================================  =======================
50103  no key header                             AuthenticationError
50111  unknown (or expired: OKX deletes) key     AuthenticationError
50104  no passphrase / 50105 wrong passphrase    AuthenticationError
50107  no timestamp / 50112 malformed           AuthenticationError
50102  timestamp more than 30 s off              InvalidNonce
50113  bad signature                             AuthenticationError
50110  caller's IP not in the whitelist          PermissionDenied
50120  key lacks the trade permission            ExchangeError
51016  duplicate ``clOrdId`` (sCode)             InvalidOrder
51008  insufficient balance or margin (sCode)    InsufficientFunds
51169  reduce-only with nothing to reduce        ExchangeError
51400  cancel: order does not exist              OrderNotFound
51603  order does not exist                      OrderNotFound
59000  position mode: positions or orders exist  ExchangeError
=====  ========================================  =======================

Sizes: SPOT ``sz`` is in the base coin; SWAP ``sz`` is in contracts
(``BTC-USDT-SWAP``: 0.01 BTC; ``BTC-USD-SWAP``: 100 USD).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from datetime import datetime
from decimal import Decimal

from aiohttp import web

from sequence.venue.engine import ZERO, Account, ApiKey, Market, Order, Venue, VenueError, dec, fmt

D = Decimal
STATE_KEY = None

ORDER_ERRORS = {
    "insufficient": ("51008", "Order failed. Insufficient USDT balance in account."),
    "duplicate": ("51016", "Duplicated client order ID"),
    "reduce_only": ("51169", "Order failed because you don't have any positions in this direction for this contract to reduce or close."),
    "not_found": ("51400", "Order cancellation failed as the order has been filled, canceled or does not exist."),
    "finished": ("51400", "Order cancellation failed as the order has been filled, canceled or does not exist."),
    "position_idx": ("51000", "Parameter posSide error"),
    "min_qty": ("51020", "Your order should meet or exceed the minimum order amount."),
    "bad_qty": ("51121", "Order quantity must be a multiple of the lot size."),
    "bad_price": ("51000", "Parameter px error"),
    "bad_param": ("51000", "Parameter error"),
    "mode_has_position": ("59000", "Your settings failed as you have positions or open orders."),
    "mode_has_orders": ("59000", "Your settings failed as you have positions or open orders."),
    "mode_not_modified": ("0", ""),
    "leverage_not_modified": ("0", ""),
}


class Reject(Exception):
    def __init__(self, code: str, msg: str, status: int = 200) -> None:
        super().__init__(msg)
        self.code = code
        self.msg = msg
        self.status = status


def _dumps(o) -> str:
    return json.dumps(o, separators=(",", ":"))


def ok(data: list) -> web.Response:
    return web.json_response({"code": "0", "data": data, "msg": ""}, dumps=_dumps)


def fail(code: str, msg: str, status: int = 200, data: list | None = None) -> web.Response:
    return web.json_response({"code": code, "data": data or [], "msg": msg}, status=status,
                             dumps=_dumps)


def _venue(request) -> Venue:
    return request.app[STATE_KEY].venue


def _parse_ts(text: str) -> int:
    dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if dt.tzinfo is None:
        raise ValueError("naive timestamp")
    return int(dt.timestamp() * 1000)


async def authenticate(request: web.Request) -> tuple[ApiKey, Account, object]:
    venue = _venue(request)
    h = request.headers
    api_key = h.get("OK-ACCESS-KEY", "")
    if not api_key:
        raise Reject("50103", 'Request header "OK-ACCESS-KEY" cannot be empty.', 401)
    key = venue.keys.get(api_key)
    server = venue.wall_ms()
    if key is None or key.exchange != "okx" or key.expired(server):
        raise Reject("50111", "Invalid OK-ACCESS-KEY.", 401)
    phrase = h.get("OK-ACCESS-PASSPHRASE", "")
    if not phrase:
        raise Reject("50104", 'Request header "OK-ACCESS-PASSPHRASE" cannot be empty.', 401)
    if not hmac.compare_digest(phrase.encode(), key.passphrase.encode()):
        raise Reject("50105", 'Request header "OK-ACCESS-PASSPHRASE" incorrect.', 401)
    ts_text = h.get("OK-ACCESS-TIMESTAMP", "")
    if not ts_text:
        raise Reject("50107", 'Request header "OK-ACCESS-TIMESTAMP" cannot be empty.', 401)
    try:
        ts = _parse_ts(ts_text)
    except ValueError:
        raise Reject("50112", "Invalid OK-ACCESS-TIMESTAMP.", 401) from None
    if abs(server - ts) > 30_000:
        raise Reject("50102", "Timestamp request expired.", 401)
    raw = await request.read() if request.method != "GET" else b""
    path = request.path_qs if request.method == "GET" else request.path
    prehash = ts_text + request.method + path + raw.decode("utf-8", "replace")
    expected = base64.b64encode(
        hmac.new(key.secret.encode(), prehash.encode(), hashlib.sha256).digest()).decode()
    sign = h.get("OK-ACCESS-SIGN", "")
    if not sign:
        raise Reject("50106", 'Request header "OK-ACCESS-SIGN" cannot be empty.', 401)
    if not hmac.compare_digest(expected, sign):
        raise Reject("50113", "Invalid Sign.", 401)
    if not key.ip_allowed(request.remote or ""):
        raise Reject("50110", f"Your IP {request.remote} is not included in your API key's IP whitelist.", 401)
    if request.method == "GET":
        params: object = dict(request.query)
    else:
        try:
            params = json.loads(raw) if raw else {}
        except ValueError:
            raise Reject("50002", "Invalid JSON.", 400) from None
    return key, venue.account(key.account_id), params


def private(trade: bool = False):
    def deco(fn):
        async def handler(request: web.Request) -> web.Response:
            try:
                key, account, params = await authenticate(request)
                if trade and (key.read_only or "trade" not in key.permissions.get("perm", [])):
                    raise Reject("50120", "API key doesn't have permission to access the endpoint.", 401)
                return fn(request, _venue(request), key, account, params)
            except Reject as e:
                return fail(e.code, e.msg, e.status)
            except VenueError as e:
                code, msg = ORDER_ERRORS.get(e.kind, ("51000", "Parameter error"))
                return fail(code, e.message if code == "51000" else msg)

        return handler

    return deco


def public(fn):
    async def handler(request: web.Request) -> web.Response:
        try:
            return fn(request, _venue(request), dict(request.query))
        except Reject as e:
            return fail(e.code, e.msg, e.status)

    return handler


def market_of(venue: Venue, inst_id: str | None) -> Market:
    m = venue.by_okx.get(inst_id or "")
    if m is None:
        if not inst_id:
            raise Reject("50014", "Parameter instId can not be empty.")
        raise Reject("51001", f"Instrument ID or Spread ID doesn't exist: {inst_id}")
    return m


def lot(m: Market) -> Decimal:
    return D(1) if m.kind == "inverse" else m.qty_step / m.okx_ct_val


def to_contracts(m: Market, qty: Decimal) -> Decimal:
    return qty / m.okx_ct_val


def from_contracts(m: Market, sz) -> Decimal:
    try:
        return D(str(sz)) * m.okx_ct_val
    except Exception:
        raise VenueError("bad_param", "Parameter sz error") from None


# -------------------------------------------------------------------- public
def _instrument(m: Market) -> dict:
    spot = m.kind == "spot"
    d = dict.fromkeys(("alias", "auctionEndTime", "baseCcy", "category", "ctMult", "ctType", "ctVal", "ctValCcy", "expTime", "futureSettlement", "instFamily", "instId", "instType", "lever", "listTime", "lotSz", "maxIcebergSz", "maxLmtAmt", "maxLmtSz", "maxMktAmt", "maxMktSz", "maxStopSz", "maxTriggerSz", "maxTwapSz", "minSz", "optType", "quoteCcy", "ruleType", "settleCcy", "state", "stk", "tickSz", "uly", "openType", "contTdSwTime", "preMktSwTime", "tradeQuoteCcyList", "instIdCode"), "")
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


@public
def instruments(request, venue: Venue, params):
    t = params.get("instType", "")
    if t not in ("SPOT", "MARGIN", "SWAP", "FUTURES", "OPTION"):
        raise Reject("51000", "Parameter instType error")
    return ok([_instrument(m) for m in venue.markets.values() if m.okx_inst_type == t
               and (not params.get("instId") or m.okx_inst_id == params["instId"])])


@public
def server_time(request, venue: Venue, params):
    return ok([{"ts": str(venue.wall_ms())}])


@public
def status(request, venue: Venue, params):
    return ok([])


def _ticker(venue: Venue, m: Market) -> dict:
    p = fmt(venue.last_price)
    return {"instType": m.okx_inst_type, "instId": m.okx_inst_id, "last": p, "lastSz": "1",
            "askPx": p, "askSz": "1", "bidPx": p, "bidSz": "1", "open24h": p, "high24h": p,
            "low24h": p, "volCcy24h": "0", "vol24h": "0", "ts": str(venue.now()),
            "sodUtc0": p, "sodUtc8": p}


@public
def ticker(request, venue: Venue, params):
    return ok([_ticker(venue, market_of(venue, params.get("instId")))])


@public
def tickers(request, venue: Venue, params):
    return ok([_ticker(venue, m) for m in venue.markets.values()
               if m.okx_inst_type == params.get("instType")])


# ------------------------------------------------------------------- account
def _pos_mode(venue: Venue, account: Account) -> str:
    hedged = any(account.is_hedge(m) for m in venue.markets.values() if m.is_derivative)
    return "long_short_mode" if hedged else "net_mode"


@private()
def account_config(request, venue: Venue, key: ApiKey, account: Account, params):
    main = account.parent_id or account.id
    return ok([{
        "acctLv": "2", "acctStpMode": "cancel_maker", "autoLoan": False, "ctIsoMode": "automatic",
        "enableSpotBorrow": False, "greeksType": "PA", "ip": ",".join(key.ips), "kycLv": "2",
        "label": key.label, "level": "Lv1", "levelTmp": "", "liquidationGear": "-1",
        "mainUid": main, "mgnIsoMode": "automatic", "opAuth": "0",
        "perm": ",".join(key.permissions.get("perm", [])), "posMode": _pos_mode(venue, account),
        "roleType": "0", "spotBorrowAutoRepay": False, "spotOffsetType": "",
        "spotRoleType": "0", "spotTraderInsts": [], "traderInsts": [], "type": "0",
        "uid": account.id, "settleCcy": "USDT", "settleCcyList": ["USDT"],
    }])


_DETAIL_KEYS = (
    "accAvgPx", "availBal", "availEq", "borrowFroz", "cashBal", "ccy", "clSpotInUseAmt",
    "colBorrAutoConversion", "collateralEnabled", "collateralRestrict", "crossLiab", "disEq",
    "eq", "eqUsd", "fixedBal", "frozenBal", "imr", "interest", "isoEq", "isoLiab", "isoUpl",
    "liab", "maxLoan", "maxSpotInUse", "mgnRatio", "mmr", "notionalLever", "openAvgPx",
    "ordFrozen", "rewardBal", "smtSyncEq", "spotBal", "spotCopyTradingEq", "spotInUseAmt",
    "spotIsoBal", "spotUpl", "spotUplRatio", "stgyEq", "totalPnl", "totalPnlRatio", "twap",
    "uTime", "upl", "uplLiab")


def _usd(venue: Venue, coin: str, amount: Decimal) -> Decimal:
    return amount if coin in ("USDT", "USDC", "USD") else amount * venue.last_price


@private()
def balance(request, venue: Venue, key, account: Account, params):
    want = set(filter(None, (params.get("ccy") or "").split(",")))
    price = venue.last_price
    details = []
    tot = tot_imr = tot_upl = tot_ord = ZERO
    for coin, bal in sorted(account.wallets["trading"].items()):
        if want and coin not in want:
            continue
        order_res, pos_im = venue.reserved(account, coin)
        upl = sum((p.upl(price) for p in account.positions.values()
                   if p.market.settle == coin and p.size > 0), ZERO)
        eq = bal + upl
        avail = bal - order_res - pos_im
        d = dict.fromkeys(_DETAIL_KEYS, "")
        d.update(availBal=fmt(avail), availEq=fmt(avail + upl), borrowFroz="0", cashBal=fmt(bal),
                 ccy=coin, colBorrAutoConversion="0", collateralEnabled=False,
                 collateralRestrict=False, crossLiab="0", disEq=fmt(_usd(venue, coin, eq)),
                 eq=fmt(eq), eqUsd=fmt(_usd(venue, coin, eq)), fixedBal="0",
                 frozenBal=fmt(order_res + pos_im), imr=fmt(pos_im), interest="0", isoEq="0",
                 isoLiab="0", isoUpl="0", liab="0", maxLoan="0", mmr=fmt(pos_im / 2),
                 ordFrozen=fmt(order_res), smtSyncEq="0", spotCopyTradingEq="0",
                 spotIsoBal="0", stgyEq="0", twap="0", uTime=str(venue.now()), upl=fmt(upl),
                 uplLiab="0")
        details.append(d)
        tot += _usd(venue, coin, eq)
        tot_imr += _usd(venue, coin, pos_im)
        tot_ord += _usd(venue, coin, order_res)
        tot_upl += _usd(venue, coin, upl)
    return ok([{
        "adjEq": fmt(tot), "availEq": fmt(tot - tot_imr - tot_ord), "borrowFroz": "0",
        "details": details, "imr": fmt(tot_imr), "isoEq": "0", "mgnRatio": "",
        "mmr": fmt(tot_imr / 2), "notionalUsd": "0", "notionalUsdForBorrow": "0",
        "notionalUsdForFutures": "0", "notionalUsdForOption": "0", "notionalUsdForSwap": "0",
        "ordFroz": fmt(tot_ord), "totalEq": fmt(tot), "uTime": str(venue.now()),
        "upl": fmt(tot_upl),
    }])


@private()
def funding_balances(request, venue: Venue, key, account: Account, params):
    want = set(filter(None, (params.get("ccy") or "").split(",")))
    return ok([{"availBal": fmt(v), "bal": fmt(v), "ccy": c, "frozenBal": "0"}
               for c, v in sorted(account.wallets["funding"].items())
               if not want or c in want])


_POS_KEYS = (
    "adl", "availPos", "avgPx", "baseBal", "baseBorrowed", "baseInterest", "bePx", "bizRefId",
    "bizRefType", "cTime", "ccy", "closeOrderAlgo", "deltaBS", "deltaPA", "fee", "fundingFee",
    "gammaBS", "gammaPA", "idxPx", "imr", "instId", "instType", "interest", "last", "lever",
    "liab", "liabCcy", "liqPenalty", "liqPx", "margin", "markPx", "mgnMode", "mgnRatio", "mmr",
    "notionalUsd", "optVal", "pendingCloseOrdLiabVal", "pnl", "pos", "posCcy", "posId",
    "posSide", "quoteBal", "quoteBorrowed", "quoteInterest", "realizedPnl", "spotInUseAmt",
    "spotInUseCcy", "thetaBS", "thetaPA", "tradeId", "uTime", "upl", "uplLastPx", "uplRatio",
    "uplRatioLastPx", "usdPx", "vegaBS", "vegaPA", "clSpotInUseAmt", "hedgedPos")

POS_SIDE = {0: "net", 1: "long", 2: "short"}


def position_json(venue: Venue, account: Account, p) -> dict:
    m = p.market
    price = venue.last_price
    contracts = to_contracts(m, p.size)
    if p.idx == 0 and p.side == "sell":
        contracts = -contracts
    d = dict.fromkeys(_POS_KEYS, "")
    upl = p.upl(price)
    margin = p.margin()
    d.update(adl="1", availPos=fmt(abs(contracts)), avgPx=fmt(p.entry), cTime=str(p.created),
             ccy=m.settle, closeOrderAlgo=[], fee="0", fundingFee="0", idxPx=fmt(price),
             imr=fmt(margin), instId=m.okx_inst_id, instType="SWAP", last=fmt(price),
             lever=fmt(p.leverage), liqPenalty="0", markPx=fmt(price), mgnMode="cross",
             mmr=fmt(margin / 2), notionalUsd=fmt(p.size if m.kind == "inverse" else p.size * price),
             pnl=fmt(p.realized), pos=fmt(contracts), posId=f"{account.id}{p.idx}{len(m.key)}",
             posSide=POS_SIDE[p.idx], realizedPnl=fmt(p.realized), tradeId="",
             uTime=str(p.updated or p.created), upl=fmt(upl), uplLastPx=fmt(upl),
             uplRatio=fmt(upl / margin) if margin else "0",
             uplRatioLastPx=fmt(upl / margin) if margin else "0", bePx=fmt(p.entry))
    return d


@private()
def positions(request, venue: Venue, key, account: Account, params):
    inst_ids = set(filter(None, (params.get("instId") or "").split(",")))
    t = params.get("instType")
    rows = []
    for (_, _), p in account.positions.items():
        if p.size == 0:
            continue
        if inst_ids and p.market.okx_inst_id not in inst_ids:
            continue
        if t and p.market.okx_inst_type != t:
            continue
        rows.append(position_json(venue, account, p))
    return ok(rows)


@private(trade=True)
def set_position_mode(request, venue: Venue, key, account: Account, params):
    mode = params.get("posMode")
    if mode not in ("long_short_mode", "net_mode"):
        raise Reject("51000", "Parameter posMode error")
    venue.set_position_mode(account, None, mode == "long_short_mode")
    return ok([{"posMode": mode}])


@private(trade=True)
def set_leverage(request, venue: Venue, key, account: Account, params):
    m = market_of(venue, params.get("instId"))
    try:
        venue.set_leverage(account, m, params.get("lever"))
    except VenueError as e:
        if e.kind != "leverage_not_modified":
            raise
    return ok([{"instId": m.okx_inst_id, "lever": str(params.get("lever")),
                "mgnMode": params.get("mgnMode", "cross"), "posSide": params.get("posSide", "")}])


# --------------------------------------------------------------------- orders
STATE = {"New": "live", "PartiallyFilled": "partially_filled", "Filled": "filled",
         "Cancelled": "canceled", "PartiallyFilledCanceled": "canceled", "Rejected": "canceled"}

_ORDER_KEYS = (
    "accFillSz", "algoClOrdId", "algoId", "attachAlgoClOrdId", "attachAlgoOrds", "avgPx",
    "cTime", "cancelSource", "cancelSourceReason", "category", "ccy", "clOrdId", "fee",
    "feeCcy", "fillPx", "fillSz", "fillTime", "instId", "instType", "isTpLimit", "lever",
    "linkedAlgoOrd", "ordId", "ordType", "pnl", "posSide", "px", "pxType", "pxUsd", "pxVol",
    "quickMgnType", "rebate", "rebateCcy", "reduceOnly", "side", "slOrdPx", "slTriggerPx",
    "slTriggerPxType", "source", "state", "stpId", "stpMode", "sz", "tag", "tdMode", "tgtCcy",
    "tpOrdPx", "tpTriggerPx", "tpTriggerPxType", "tradeId", "uTime", "tradeQuoteCcy")


def _size_out(o: Order, qty: Decimal) -> str:
    return fmt(qty if o.market.kind == "spot" else to_contracts(o.market, qty))


def order_json(venue: Venue, account: Account, o: Order) -> dict:
    m = o.market
    d = dict.fromkeys(_ORDER_KEYS, "")
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
    d.update(accFillSz=_size_out(o, o.filled), attachAlgoOrds=[],
             avgPx=fmt(o.avg_price) if o.avg_price is not None else "", cTime=str(o.created),
             category="normal", clOrdId=o.link_id, fee=fmt(-o.fee), feeCcy=o.fee_coin or m.settle,
             fillPx=fmt(last.price) if last else "", fillSz=_size_out(o, last.qty) if last else "0",
             fillTime=str(last.time) if last else "", instId=m.okx_inst_id,
             instType=m.okx_inst_type, isTpLimit="false",
             lever="" if m.kind == "spot" else fmt(account.lev(m)), linkedAlgoOrd={"algoId": ""},
             ordId=o.id, ordType=ord_type, pnl="0", posSide=POS_SIDE[o.position_idx],
             px=fmt(o.price) if o.price is not None else "", rebate="0", rebateCcy=m.quote,
             reduceOnly="true" if o.reduce_only else "false", side=o.side,
             state=STATE[o.status], stpMode="cancel_maker", sz=_size_out(o, o.qty), tag=o.tag,
             tdMode="cash" if m.kind == "spot" else "cross",
             tgtCcy="base_ccy" if m.kind == "spot" and o.type == "market" else "",
             tradeId=last.id if last else "", uTime=str(o.updated),
             tradeQuoteCcy=m.quote if m.kind == "spot" else "")
    if o.cancel_type == "CancelByPostOnly":
        d["cancelSource"] = "31"
        d["cancelSourceReason"] = "The post-only order will take liquidity in maker orders"
    return d


def _place(venue: Venue, key: ApiKey, account: Account, req: dict) -> dict:
    if not isinstance(req, dict):
        raise Reject("51000", "Parameter error")
    m = market_of(venue, req.get("instId"))
    cl = str(req.get("clOrdId") or "")
    if len(cl) > 32 or (cl and not cl.isalnum()):
        raise VenueError("bad_param", "Parameter clOrdId error")
    ord_type = req.get("ordType")
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
        position_idx=idx, link_id=cl, source="okx", tag=str(req.get("tag") or ""))
    return {"clOrdId": order.link_id, "ordId": order.id, "sCode": "0", "sMsg": "Order placed",
            "tag": order.tag, "ts": str(venue.wall_ms())}


def _place_many(venue, key, account, reqs: list) -> web.Response:
    results = []
    failed = 0
    for req in reqs:
        try:
            results.append(_place(venue, key, account, req))
        except (VenueError, Reject) as e:
            failed += 1
            if isinstance(e, Reject):
                code, msg = e.code, e.msg
            else:
                code, msg = ORDER_ERRORS.get(e.kind, ("51000", "Parameter error"))
                if code == "51000":
                    msg = e.message
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
    return web.json_response({"code": code, "data": results, "inTime": now_us, "msg": msg,
                              "outTime": now_us}, dumps=_dumps)


@private(trade=True)
def place_order(request, venue, key, account, params):
    return _place_many(venue, key, account, [params])


@private(trade=True)
def batch_orders(request, venue, key, account, params):
    if not isinstance(params, list) or not params or len(params) > 20:
        raise Reject("51000", "Parameter error")
    return _place_many(venue, key, account, params)


def _cancel(venue: Venue, account: Account, req: dict) -> dict:
    m = market_of(venue, req.get("instId"))
    oid, cl = str(req.get("ordId") or ""), str(req.get("clOrdId") or "")
    if not oid and not cl:
        raise Reject("51003", "Either client order ID or order ID is required.")
    order = venue.cancel_order(account, m, order_id=oid, link_id=cl)
    return {"clOrdId": order.link_id, "ordId": order.id, "sCode": "0", "sMsg": "",
            "ts": str(venue.wall_ms())}


def _cancel_many(venue, account, reqs) -> web.Response:
    results, failed = [], 0
    for req in reqs:
        try:
            results.append(_cancel(venue, account, req))
        except VenueError as e:
            failed += 1
            code, msg = ORDER_ERRORS.get(e.kind, ("51400", "Order does not exist"))
            results.append({"clOrdId": str(req.get("clOrdId") or ""),
                            "ordId": str(req.get("ordId") or ""), "sCode": code, "sMsg": msg,
                            "ts": str(venue.wall_ms())})
    code = "0" if not failed else ("1" if failed == len(reqs) else "2")
    return web.json_response({"code": code, "data": results, "msg": "" if not failed else
                              "Operation failed.", "inTime": str(time.time_ns() // 1000),
                              "outTime": str(time.time_ns() // 1000)}, dumps=_dumps)


@private(trade=True)
def cancel_order(request, venue, key, account, params):
    return _cancel_many(venue, account, [params])


@private(trade=True)
def cancel_batch(request, venue, key, account, params):
    if not isinstance(params, list) or not params:
        raise Reject("51000", "Parameter error")
    return _cancel_many(venue, account, params)


@private()
def get_order(request, venue: Venue, key, account: Account, params):
    m = market_of(venue, params.get("instId"))
    oid, cl = params.get("ordId") or "", params.get("clOrdId") or ""
    if not oid and not cl:
        raise Reject("51003", "Either client order ID or order ID is required.")
    o = venue.find_order(account, order_id=oid, link_id=cl)
    if o is None or o.market.key != m.key:
        raise Reject("51603", "Order does not exist")
    return ok([order_json(venue, account, o)])


def _filter_orders(orders, params):
    out = []
    for o in orders:
        if params.get("instType") and o.market.okx_inst_type != params["instType"]:
            continue
        if params.get("instId") and o.market.okx_inst_id != params["instId"]:
            continue
        out.append(o)
    return out


def _page_by_id(items: list, params: dict, id_of, default: int = 100) -> list:
    """OKX pagination: newest first; ``after`` = older than that id, ``before`` = newer."""
    try:
        limit = max(1, min(int(params.get("limit", default)), 100))
        if params.get("after"):
            a = int(params["after"])
            items = [i for i in items if int(id_of(i)) < a]
        if params.get("before"):
            b = int(params["before"])
            items = [i for i in items if int(id_of(i)) > b]
    except ValueError:
        raise Reject("51000", "Parameter error") from None
    return items[:limit]


@private()
def orders_pending(request, venue: Venue, key, account: Account, params):
    orders = sorted(account.open_orders.values(), key=lambda o: -o.seq)
    orders = _filter_orders(orders, params)
    return ok([order_json(venue, account, o) for o in _page_by_id(orders, params, lambda o: o.id)])


@private()
def orders_history(request, venue: Venue, key, account: Account, params):
    if not params.get("instType"):
        raise Reject("50014", "Parameter instType can not be empty.")
    orders = _filter_orders(venue.closed_orders(account), params)
    if params.get("state"):
        orders = [o for o in orders if STATE[o.status] == params["state"]]
    return ok([order_json(venue, account, o) for o in _page_by_id(orders, params, lambda o: o.id)])


@private()
def fills(request, venue: Venue, key, account: Account, params):
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
    for x in _page_by_id(execs, params, lambda x: x.id):
        o = x.order
        rows.append({
            "side": x.side, "fillSz": _size_out(o, x.qty), "fillPx": fmt(x.price),
            "fillPxVol": "", "fillFwdPx": "", "fee": fmt(-x.fee), "fillPnl": fmt(x.pnl),
            "ordId": o.id, "feeRate": fmt(-x.fee_rate), "instType": o.market.okx_inst_type,
            "fillPxUsd": "", "instId": o.market.okx_inst_id, "clOrdId": o.link_id,
            "posSide": POS_SIDE[o.position_idx], "billId": x.id, "fillMarkVol": "",
            "tag": o.tag, "fillTime": str(x.time), "execType": "M" if x.is_maker else "T",
            "tradeId": x.id, "fillIdxPx": "", "fillMarkPx": "", "feeCcy": x.fee_coin,
            "ts": str(x.time), "subType": "", "tradeQuoteCcy": "",
        })
    return ok(rows)


_BILL_KEYS = (
    "bal", "balChg", "billId", "ccy", "clOrdId", "execType", "fee", "fillFwdPx", "fillIdxPx",
    "fillMarkPx", "fillMarkVol", "fillPxUsd", "fillPxVol", "fillTime", "from", "instId",
    "instType", "interest", "mgnMode", "notes", "ordId", "pnl", "posBal", "posBalChg", "px",
    "subType", "sz", "tag", "to", "tradeId", "ts", "type")


def _bill_subtype(x) -> str:
    m = x.order.market
    if m.kind == "spot":
        return "1" if x.side == "buy" else "2"
    if x.closed_size > 0:
        return "5" if x.side == "sell" else "6"  # close long / close short
    return "3" if x.side == "buy" else "4"  # open long / open short


@private()
def bills(request, venue: Venue, key, account: Account, params):
    entries = [e for e in reversed(account.ledger) if e.wallet == "trading"]
    if params.get("ccy"):
        entries = [e for e in entries if e.coin == params["ccy"]]
    if params.get("type"):
        t = params["type"]
        entries = [e for e in entries if (t == "2") == (e.type == "TRADE") and t in ("1", "2")]
    if params.get("instType"):
        entries = [e for e in entries if e.execution is not None
                   and e.execution.order.market.okx_inst_type == params["instType"]]
    if params.get("begin"):
        entries = [e for e in entries if e.time >= int(params["begin"])]
    if params.get("end"):
        entries = [e for e in entries if e.time <= int(params["end"])]
    rows = []
    for e in _page_by_id(entries, params, lambda e: e.id):
        d = dict.fromkeys(_BILL_KEYS, "")
        x = e.execution
        d.update(bal=fmt(e.balance), balChg=fmt(e.change), billId=e.id, ccy=e.coin,
                 fee=fmt(-e.fee), interest="0", ts=str(e.time), fillTime=str(e.time), notes="")
        if x is not None:
            o = x.order
            d.update(clOrdId=o.link_id, execType="M" if x.is_maker else "T",
                     instId=o.market.okx_inst_id, instType=o.market.okx_inst_type,
                     mgnMode="cash" if o.market.kind == "spot" else "cross", ordId=o.id,
                     pnl=fmt(e.cash_flow), posBal="0", posBalChg="0", px=fmt(x.price),
                     subType=_bill_subtype(x), sz=_size_out(o, x.qty), tag=o.tag,
                     tradeId=x.id, type="2")
        else:
            d.update(type="1", subType="11" if e.change > 0 else "12", sz=fmt(abs(e.change)),
                     tradeId="0", **{"from": "6" if e.change > 0 else "18",
                                     "to": "18" if e.change > 0 else "6"})
        rows.append(d)
    return ok(rows)


def _transfers(account: Account, kind: str, params: dict) -> list:
    items = [t for t in reversed(account.transfers) if t.kind == kind]
    if params.get("ccy"):
        items = [t for t in items if t.coin == params["ccy"]]
    return _page_by_id(items, params, lambda t: t.id)


@private()
def deposit_history(request, venue: Venue, key, account: Account, params):
    return ok([{
        "actualDepBlkConfirm": "100", "amt": fmt(t.amount), "areaCodeFrom": "",
        "ccy": t.coin, "chain": f"{t.coin}-TRC20", "depId": t.id, "from": "",
        "fromWdId": "", "state": "2" if t.status == "success" else "0",
        "to": "TXsimulateddepositaddress", "ts": str(t.time), "txId": t.tx_id,
    } for t in _transfers(account, "deposit", params)])


@private()
def withdrawal_history(request, venue: Venue, key, account: Account, params):
    return ok([{
        "addrEx": None, "amt": fmt(t.amount), "areaCodeFrom": "", "areaCodeTo": "",
        "ccy": t.coin, "chain": f"{t.coin}-TRC20", "clientId": "", "fee": fmt(t.fee),
        "feeCcy": t.coin, "from": "", "memo": "", "nonTradableAsset": False, "pmtId": "",
        "state": "2" if t.status == "success" else "0", "tag": "", "to": t.address,
        "toAddrType": "1", "ts": str(t.time), "txId": t.tx_id, "wdId": t.id,
    } for t in _transfers(account, "withdrawal", params)])


def register(app: web.Application) -> None:
    global STATE_KEY
    from sequence.venue.server import STATE_KEY as key

    STATE_KEY = key
    get, post = app.router.add_get, app.router.add_post
    p = "/api/v5"
    get(f"{p}/public/time", server_time)
    get(f"{p}/public/instruments", instruments)
    get(f"{p}/system/status", status)
    get(f"{p}/market/ticker", ticker)
    get(f"{p}/market/tickers", tickers)
    get(f"{p}/account/config", account_config)
    get(f"{p}/account/balance", balance)
    get(f"{p}/asset/balances", funding_balances)
    get(f"{p}/account/positions", positions)
    post(f"{p}/account/set-position-mode", set_position_mode)
    post(f"{p}/account/set-leverage", set_leverage)
    post(f"{p}/trade/order", place_order)
    post(f"{p}/trade/batch-orders", batch_orders)
    post(f"{p}/trade/cancel-order", cancel_order)
    post(f"{p}/trade/cancel-batch-orders", cancel_batch)
    get(f"{p}/trade/order", get_order)
    get(f"{p}/trade/orders-pending", orders_pending)
    get(f"{p}/trade/orders-history", orders_history)
    get(f"{p}/trade/orders-history-archive", orders_history)
    get(f"{p}/trade/fills", fills)
    get(f"{p}/trade/fills-history", fills)
    get(f"{p}/account/bills", bills)
    get(f"{p}/account/bills-archive", bills)
    get(f"{p}/asset/deposit-history", deposit_history)
    get(f"{p}/asset/withdrawal-history", withdrawal_history)

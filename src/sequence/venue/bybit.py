"""Bybit v5 over HTTP (unified trading account, UTA 2.0), as ccxt's ``bybit`` class calls it.

Authentication as the real one: headers ``X-BAPI-API-KEY``, ``X-BAPI-TIMESTAMP``,
``X-BAPI-RECV-WINDOW`` (default 5000), ``X-BAPI-SIGN`` = hex HMAC-SHA256 of
``timestamp + api_key + recv_window + (raw query string | JSON body)``. The
timestamp is checked against the wall clock (``server - recv_window <= ts <
server + 1000``), never the market clock. Rejections and their codes:

======  ==============================================  =====================
code    when                                            ccxt raises
======  ==============================================  =====================
10003   missing or unknown key                          AuthenticationError
10002   timestamp outside the receive window            InvalidNonce
10004   bad signature                                   AuthenticationError
33004   key expired                                     AuthenticationError
10010   caller's IP not in the key's whitelist          PermissionDenied
10005   the key lacks the permission                    PermissionDenied
110072  duplicate ``orderLinkId``                       InvalidOrder
110007  not enough available balance                    InsufficientFunds
110017  reduce-only would not reduce a position         InvalidOrder
110001  order not found (cancel)                        OrderNotFound
110025  position mode not modified                      NoChange
110024  position exists: cannot switch mode             BadRequest
110028  open orders exist: cannot switch mode           BadRequest
10001   bad parameter                                   BadRequest
======  ==============================================  =====================

Endpoints: market time, instruments-info, tickers, coin query-info;
user query-api; account info, wallet-balance, transaction-log, fee-rate;
asset funding balance, deposit and withdraw records, inter-transfer list;
order create, cancel, cancel-all, realtime, history; position list,
switch-mode, set-leverage; execution list.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from decimal import Decimal

from aiohttp import web

from sequence.venue.engine import ZERO, Account, ApiKey, Order, Venue, VenueError, fmt

D = Decimal

ERRORS = {
    "insufficient": (110007, "ab not enough for new order"),
    "duplicate": (110072, "OrderLinkedID is duplicate"),
    "reduce_only": (110017, "Reduce-only rule not satisfied"),
    "not_found": (110001, "order not exists or too late to cancel"),
    "finished": (110001, "order not exists or too late to cancel"),
    "mode_not_modified": (110025, "Position mode is not modified"),
    "mode_has_position": (110024, "You have an existing position, so position mode cannot be switched"),
    "mode_has_orders": (110028, "Open orders exist, so you cannot change position mode"),
    "mode_unsupported": (10001, "Inverse contracts support one-way mode only"),
    "leverage_not_modified": (110043, "Set leverage not modified"),
    "position_idx": (10001, "position idx not match position mode"),
    "min_qty": (110094, "Order does not meet minimum order value"),
    "bad_qty": (10001, "Qty invalid"),
    "bad_price": (10001, "Price invalid"),
    "bad_param": (10001, "params error"),
    "bad_symbol": (10001, "params error: symbol invalid"),
}

STATE_KEY = None  # set in register()


def _now() -> int:
    return int(time.time() * 1000)


def envelope(result, code: int = 0, msg: str = "OK", status: int = 200) -> web.Response:
    body = {"retCode": code, "retMsg": msg, "result": result if result is not None else {},
            "retExtInfo": {}, "time": _now()}
    return web.json_response(body, status=status, dumps=lambda o: json.dumps(o, separators=(",", ":")))


def error(code: int, msg: str) -> web.Response:
    return envelope({}, code, msg)


class Reject(Exception):
    def __init__(self, code: int, msg: str) -> None:
        super().__init__(msg)
        self.code = code
        self.msg = msg


def _venue(request: web.Request) -> Venue:
    return request.app[STATE_KEY].venue


async def _params(request: web.Request) -> dict:
    if request.method == "GET":
        return dict(request.query)
    raw = await request.read()
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        raise Reject(10001, "request body is not valid JSON") from None
    if not isinstance(data, dict):
        raise Reject(10001, "request body is not a JSON object")
    return data


async def authenticate(request: web.Request) -> tuple[ApiKey, Account, dict]:
    venue = _venue(request)
    h = request.headers
    api_key = h.get("X-BAPI-API-KEY", "")
    key = venue.keys.get(api_key) if api_key else None
    if key is None or key.exchange != "bybit":
        raise Reject(10003, "API key is invalid.")
    ts_text = h.get("X-BAPI-TIMESTAMP", "")
    recv_text = h.get("X-BAPI-RECV-WINDOW", "5000")
    server = venue.wall_ms()
    try:
        ts = int(ts_text)
        recv = int(recv_text)
    except ValueError:
        raise Reject(10002, "invalid request, please check your server timestamp or recv_window param") from None
    if not (server - recv <= ts < server + 1000):
        raise Reject(10002, f"invalid request, please check your server timestamp or recv_window param. req_timestamp[{ts}],server_timestamp[{server}],recv_window[{recv}]")
    if request.method == "GET":
        payload = request.query_string
        raw = b""
    else:
        raw = await request.read()
        payload = raw.decode("utf-8", "replace")
    origin = f"{ts_text}{api_key}{recv_text}{payload}"
    expected = hmac.new(key.secret.encode(), origin.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, h.get("X-BAPI-SIGN", "").lower()):
        raise Reject(10004, f"error sign! origin_string[{origin}]")
    if key.expired(server):
        raise Reject(33004, "Your api key has expired.")
    if not key.ip_allowed(request.remote or ""):
        raise Reject(10010, "Unmatched IP, please check your API key's bound IP addresses.")
    account = venue.account(key.account_id)
    return key, account, await _params(request)


def private(perm: str | None = None):
    """Wrap a handler(request, venue, key, account, params); ``perm`` in trade|position."""

    def deco(fn):
        async def handler(request: web.Request) -> web.Response:
            try:
                key, account, params = await authenticate(request)
                venue = _venue(request)
                if key.read_only and perm is not None:
                    raise Reject(10005, "Permission denied, please check your API key permissions.")
                if perm == "position" and not key.can_set_position():
                    raise Reject(10005, "Permission denied, please check your API key permissions.")
                request["perm"] = perm
                return envelope(fn(request, venue, key, account, params))
            except Reject as e:
                return error(e.code, e.msg)
            except VenueError as e:
                code, msg = ERRORS.get(e.kind, (10001, "params error"))
                return error(code, e.message if code == 10001 else msg)

        return handler

    return deco


def public(fn):
    async def handler(request: web.Request) -> web.Response:
        try:
            return envelope(fn(request, _venue(request), dict(request.query)))
        except Reject as e:
            return error(e.code, e.msg)
        except VenueError as e:
            code, msg = ERRORS.get(e.kind, (10001, "params error"))
            return error(code, msg)

    return handler


# ------------------------------------------------------------------ helpers
def market_of(venue: Venue, category: str | None, symbol: str | None):
    if not category:
        raise Reject(10001, "Missing some parameters that must be filled in, category")
    if category not in ("spot", "linear", "inverse"):
        raise Reject(10001, "params error: category invalid")
    if not symbol:
        return None
    m = venue.by_bybit.get((category, symbol))
    if m is None:
        raise Reject(10001, "params error: symbol invalid")
    return m


def _limit(params: dict, default: int, maximum: int) -> int:
    try:
        n = int(params.get("limit", default))
    except (TypeError, ValueError):
        raise Reject(10001, "params error: limit") from None
    return max(1, min(n, maximum))


def paginate(items: list, params: dict, default: int, maximum: int) -> tuple[list, str]:
    limit = _limit(params, default, maximum)
    try:
        start = int(params.get("cursor") or 0)
    except ValueError:
        raise Reject(10001, "params error: cursor") from None
    page = items[start:start + limit]
    nxt = str(start + limit) if start + limit < len(items) else ""
    return page, nxt


def _time_filter(items, params, attr):
    start = params.get("startTime")
    end = params.get("endTime")
    if start:
        items = [i for i in items if getattr(i, attr) >= int(start)]
    if end:
        items = [i for i in items if getattr(i, attr) <= int(end)]
    return items


SIDE = {"buy": "Buy", "sell": "Sell"}


def order_json(o: Order) -> dict:
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
        "orderStatus": status, "createType": "CreateByUser", "takeProfit": "",
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


# ------------------------------------------------------------------ market
def _instrument(m) -> dict:
    if m.kind == "spot":
        return {"symbol": m.bybit_symbol, "baseCoin": m.base, "quoteCoin": m.quote,
                "innovation": "0", "status": "Trading", "marginTrading": "utaOnly",
                "stTag": "0",
                "lotSizeFilter": {"basePrecision": fmt(m.qty_step), "quotePrecision": "0.00000001",
                                  "minOrderQty": fmt(m.min_qty), "maxOrderQty": fmt(m.max_qty),
                                  "minOrderAmt": "1", "maxOrderAmt": "8000000"},
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
                          "minNotionalValue": "5" if m.kind == "linear" else "0"},
        "unifiedMarginTrade": True, "fundingInterval": 480, "settleCoin": m.settle,
        "copyTrading": "both", "upperFundingRate": "0.005", "lowerFundingRate": "-0.005",
        "isPreListing": False, "preListingInfo": None,
    }


@public
def instruments_info(request, venue: Venue, params: dict):
    category = params.get("category", "")
    market_of(venue, category, None)
    if params.get("status") and params["status"] != "Trading":
        items = []
    else:
        items = [_instrument(m) for m in venue.markets.values() if m.kind == category
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


# ------------------------------------------------------------------ account
@private()
def coin_info(request, venue, key, account, params):
    rows = []
    for coin in sorted({m.base for m in venue.markets.values()} | {m.settle for m in venue.markets.values()} - {"USD"}):
        rows.append({"name": coin, "coin": coin, "remainAmount": "50000000000", "chains": [
            {"chainType": "TRC20", "confirmation": "100", "withdrawFee": "1", "depositMin": "0",
             "withdrawMin": "1", "chain": "TRX", "chainDeposit": "1", "chainWithdraw": "1",
             "minAccuracy": "8", "withdrawPercentageFee": "0", "contractAddress": ""}]})
    return {"rows": rows}


@private()
def query_api(request, venue: Venue, key: ApiKey, account: Account, params):
    server = venue.wall_ms()
    perms = {k: list(v) for k, v in key.permissions.items()}
    for name in ("ContractTrade", "Spot", "Wallet", "Options", "Derivatives", "CopyTrading",
                 "BlockTrade", "Exchange", "NFT", "Affiliate", "Earn"):
        perms.setdefault(name, [])
    expired_at = ""
    deadline = -1
    if key.expires_at is not None:
        expired_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(key.expires_at / 1000))
        deadline = max(0, (key.expires_at - server) // 86_400_000)
    return {
        "id": str(abs(hash(key.api_key)) % 10**8), "note": key.label, "apiKey": key.api_key,
        "readOnly": 1 if key.read_only else 0, "secret": "", "permissions": perms,
        "ips": list(key.ips) if key.ips else ["*"], "type": 1, "deadlineDay": deadline,
        "expiredAt": expired_at, "createdAt": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                            time.gmtime(key.created_at / 1000)),
        "unified": 0, "uta": 1, "userID": int(account.id),
        "inviterID": 0, "vipLevel": "No VIP", "mktMakerLevel": "0", "affiliateID": 0,
        "rsaPublicKey": "", "isMaster": account.parent_id is None,
        "parentUid": account.parent_id or "0", "kycLevel": "LEVEL_DEFAULT", "kycRegion": "",
    }


@private()
def account_info(request, venue, key, account: Account, params):
    return {"unifiedMarginStatus": 6, "marginMode": "REGULAR_MARGIN", "isMasterTrader": False,
            "spotHedgingStatus": "OFF", "updatedTime": str(account.created), "dcpStatus": "OFF",
            "timeWindow": 10, "smpGroup": 0}


def _usd(venue: Venue, coin: str, amount: Decimal) -> Decimal:
    if coin in ("USDT", "USDC", "USD"):
        return amount
    return amount * venue.last_price


@private()
def wallet_balance(request, venue: Venue, key, account: Account, params):
    acct_type = params.get("accountType", "")
    if acct_type not in ("UNIFIED", "CONTRACT", "SPOT"):
        raise Reject(10001, "accountType only support UNIFIED")
    want = set(filter(None, (params.get("coin") or "").split(",")))
    price = venue.last_price
    coins = []
    tot_eq = tot_wallet = tot_im = tot_upl = tot_order_im = ZERO
    for coin, bal in sorted(account.wallets["trading"].items()):
        if want and coin not in want:
            continue
        order_res, pos_im = venue.reserved(account, coin)
        spot_locked = sum((o.reserved for o in account.open_orders.values()
                           if o.market.kind == "spot" and venue._reserve_coin(o) == coin), ZERO)
        order_im = order_res - spot_locked
        upl = sum((p.upl(price) for p in account.positions.values()
                   if p.market.settle == coin and p.size > 0), ZERO)
        realized = sum((p.realized for p in account.positions.values()
                        if p.market.settle == coin), ZERO)
        equity = bal + upl
        usd = _usd(venue, coin, equity)
        tot_eq += usd
        tot_wallet += _usd(venue, coin, bal)
        tot_im += _usd(venue, coin, pos_im)
        tot_order_im += _usd(venue, coin, order_im)
        tot_upl += _usd(venue, coin, upl)
        coins.append({
            "availableToBorrow": "", "bonus": "0", "accruedInterest": "0",
            "availableToWithdraw": "", "totalOrderIM": fmt(order_im), "equity": fmt(equity),
            "totalPositionMM": fmt(pos_im / 2), "usdValue": fmt(usd), "unrealisedPnl": fmt(upl),
            "collateralSwitch": True, "spotHedgingQty": "0", "borrowAmount": "0",
            "totalPositionIM": fmt(pos_im), "walletBalance": fmt(bal),
            "cumRealisedPnl": fmt(realized), "locked": fmt(spot_locked),
            "marginCollateral": True, "coin": coin,
        })
    avail = tot_wallet + tot_upl - tot_im - tot_order_im
    return {"list": [{
        "totalEquity": fmt(tot_eq), "accountIMRate": "0", "totalMarginBalance": fmt(tot_eq),
        "totalInitialMargin": fmt(tot_im + tot_order_im), "accountType": "UNIFIED",
        "totalAvailableBalance": fmt(avail), "accountMMRate": "0",
        "totalPerpUPL": fmt(tot_upl), "totalWalletBalance": fmt(tot_wallet),
        "accountLTV": "0", "totalMaintenanceMargin": fmt(tot_im / 2), "coin": coins,
    }]}


@private()
def fund_balance(request, venue, key, account: Account, params):
    if params.get("accountType") not in ("FUND", "UNIFIED"):
        raise Reject(10001, "accountType invalid")
    wallet = "funding" if params.get("accountType") == "FUND" else "trading"
    want = set(filter(None, (params.get("coin") or "").split(",")))
    bal = [{"coin": c, "walletBalance": fmt(v), "transferBalance": fmt(venue.available(account, c, wallet)),
            "bonus": ""} for c, v in sorted(account.wallets[wallet].items()) if not want or c in want]
    return {"accountType": params["accountType"], "memberId": account.id, "balance": bal}


@private()
def fee_rate(request, venue, key, account, params):
    category = params.get("category", "")
    market_of(venue, category, params.get("symbol"))
    return {"list": [{"symbol": m.bybit_symbol, "baseCoin": m.base if m.kind == "spot" else "",
                      "takerFeeRate": fmt(m.taker_fee), "makerFeeRate": fmt(m.maker_fee)}
                     for m in venue.markets.values() if m.kind == category]}


LEDGER_TYPE = {"TRADE": "TRADE", "TRANSFER_IN": "TRANSFER_IN", "TRANSFER_OUT": "TRANSFER_OUT"}


@private()
def transaction_log(request, venue: Venue, key, account: Account, params):
    entries = [e for e in account.ledger if e.wallet == "trading"]
    if params.get("currency"):
        entries = [e for e in entries if e.coin == params["currency"]]
    if params.get("category"):
        entries = [e for e in entries if e.execution is not None
                   and e.execution.order.market.kind == params["category"]]
    if params.get("type"):
        entries = [e for e in entries if e.type == params["type"]]
    entries = _time_filter(entries, params, "time")
    entries.reverse()
    page, nxt = paginate(entries, params, 20, 50)
    rows = []
    for e in page:
        x = e.execution
        o = x.order if x else None
        rows.append({
            "symbol": o.market.bybit_symbol if o else "", "side": SIDE[x.side] if x else "None",
            "funding": "", "orderLinkId": o.link_id if o else "", "orderId": o.id if o else "",
            "fee": fmt(e.fee), "change": fmt(e.change), "cashFlow": fmt(e.cash_flow),
            "transactionTime": str(e.time), "type": LEDGER_TYPE.get(e.type, e.type),
            "feeRate": fmt(x.fee_rate) if x else "0", "bonusChange": "",
            "size": fmt(_pos_size(account, o)) if o else "0", "qty": fmt(x.qty) if x else "0",
            "cashBalance": fmt(e.balance), "currency": e.coin, "id": e.id,
            "category": o.market.kind if o else "", "tradePrice": fmt(x.price) if x else "",
            "tradeId": x.id if x else "", "extraFees": "",
        })
    return {"list": rows, "nextPageCursor": nxt}


def _pos_size(account: Account, o: Order) -> Decimal:
    if o.market.kind == "spot":
        return ZERO
    pos = account.positions.get((o.market.key, o.position_idx))
    return pos.size if pos else ZERO


def _transfers(account: Account, kind: str, params: dict) -> list:
    items = [t for t in account.transfers if t.kind == kind]
    if params.get("coin"):
        items = [t for t in items if t.coin == params["coin"]]
    items = _time_filter(items, params, "time")
    items.reverse()
    return items


@private()
def deposit_records(request, venue, key, account: Account, params):
    page, nxt = paginate(_transfers(account, "deposit", params), params, 50, 50)
    return {"rows": [{
        "id": t.id, "coin": t.coin, "chain": t.chain, "amount": fmt(t.amount), "txID": t.tx_id,
        "status": 3 if t.status == "success" else 1, "toAddress": "TXsimulateddepositaddress",
        "tag": "", "depositFee": "", "successAt": str(t.time), "confirmations": "100",
        "txIndex": "0", "blockHash": "", "batchReleaseLimit": "-1", "depositType": "0",
        "fromAddress": "", "taxDepositRecordsId": "0", "taxStatus": 0,
    } for t in page], "nextPageCursor": nxt}


@private()
def withdraw_records(request, venue, key, account: Account, params):
    page, nxt = paginate(_transfers(account, "withdrawal", params), params, 50, 50)
    return {"rows": [{
        "coin": t.coin, "chain": t.chain, "amount": fmt(t.amount), "txID": t.tx_id,
        "status": "success" if t.status == "success" else "Pending", "toAddress": t.address,
        "tag": "", "withdrawFee": fmt(t.fee), "createTime": str(t.time),
        "updateTime": str(t.time), "withdrawId": t.id, "withdrawType": 0,
    } for t in page], "nextPageCursor": nxt}


ACCOUNT_TYPE = {"trading": "UNIFIED", "funding": "FUND"}


@private()
def inter_transfers(request, venue, key, account: Account, params):
    page, nxt = paginate(_transfers(account, "transfer", params), params, 20, 50)
    return {"list": [{
        "transferId": t.id, "coin": t.coin, "amount": fmt(t.amount),
        "fromAccountType": ACCOUNT_TYPE[t.from_wallet], "toAccountType": ACCOUNT_TYPE[t.to_wallet],
        "timestamp": str(t.time), "status": t.status,
    } for t in page], "nextPageCursor": nxt}


# ------------------------------------------------------------------ trading
def _trade_market(venue: Venue, key: ApiKey, params: dict):
    m = market_of(venue, params.get("category"), params.get("symbol"))
    if m is None:
        raise Reject(10001, "Missing some parameters that must be filled in, symbol")
    if not key.can_trade(m):
        raise Reject(10005, "Permission denied, please check your API key permissions.")
    return m


def _bool(v) -> bool:
    return v is True or (isinstance(v, str) and v.lower() == "true") or v == 1


@private("trade")
def create_order(request, venue: Venue, key, account: Account, params):
    m = _trade_market(venue, key, params)
    link = str(params.get("orderLinkId") or "")
    if len(link) > 36:
        raise Reject(10001, "orderLinkId is too long")
    tif = params.get("timeInForce") or ("IOC" if params.get("orderType") == "Market" else "GTC")
    if tif not in ("GTC", "IOC", "PostOnly", "FOK"):
        raise Reject(10001, "params error: timeInForce invalid")
    idx = params.get("positionIdx")
    try:
        idx = None if idx in (None, "") else int(idx)
    except (TypeError, ValueError):
        raise Reject(10001, "params error: positionIdx") from None
    if m.kind == "spot" and params.get("orderType") == "Market" and params.get("side") == "Buy" \
            and params.get("marketUnit", "quoteCoin") == "quoteCoin":
        # spot market buys are sized in the quote coin by default
        cost = D(str(params.get("qty")))
        qty = (cost / venue.last_price).quantize(m.qty_step, rounding="ROUND_DOWN")
    else:
        qty = params.get("qty")
    order = venue.place_order(
        account, m, side=str(params.get("side", "")), type_=str(params.get("orderType", "")).lower(),
        qty=qty, price=params.get("price"), tif="IOC" if tif == "FOK" else tif,
        reduce_only=_bool(params.get("reduceOnly", False)), position_idx=idx, link_id=link,
        source="bybit")
    return {"orderId": order.id, "orderLinkId": order.link_id}


@private("trade")
def cancel_order(request, venue: Venue, key, account: Account, params):
    m = _trade_market(venue, key, params)
    if not params.get("orderId") and not params.get("orderLinkId"):
        raise Reject(10001, "orderId or orderLinkId is required")
    order = venue.cancel_order(account, m, order_id=str(params.get("orderId") or ""),
                               link_id=str(params.get("orderLinkId") or ""))
    return {"orderId": order.id, "orderLinkId": order.link_id}


@private("trade")
def cancel_all(request, venue: Venue, key, account: Account, params):
    category = params.get("category")
    m = market_of(venue, category, params.get("symbol"))
    if m is not None and not key.can_trade(m):
        raise Reject(10005, "Permission denied, please check your API key permissions.")
    orders = venue.cancel_all(account, m)
    orders = [o for o in orders if o.market.kind == category]
    return {"list": [{"orderId": o.id, "orderLinkId": o.link_id} for o in orders],
            "success": "1"}


def _order_filter(orders, params):
    out = []
    for o in orders:
        if params.get("symbol") and o.market.bybit_symbol != params["symbol"]:
            continue
        if params.get("settleCoin") and o.market.settle != params["settleCoin"]:
            continue
        if params.get("baseCoin") and o.market.base != params["baseCoin"]:
            continue
        if params.get("orderId") and o.id != params["orderId"]:
            continue
        if params.get("orderLinkId") and o.link_id != params["orderLinkId"]:
            continue
        out.append(o)
    return out


@private()
def order_realtime(request, venue: Venue, key, account: Account, params):
    category = params.get("category")
    market_of(venue, category, params.get("symbol"))
    if params.get("orderFilter") in ("StopOrder", "tpslOrder"):
        return {"list": [], "nextPageCursor": "", "category": category}
    if params.get("orderId") or params.get("orderLinkId"):
        o = venue.find_order(account, order_id=str(params.get("orderId") or ""),
                             link_id=str(params.get("orderLinkId") or ""))
        candidates = [o] if o is not None else []
    else:
        candidates = sorted(account.open_orders.values(), key=lambda o: -o.seq)
        if str(params.get("openOnly", "0")) not in ("0", ""):
            candidates += venue.closed_orders(account)
    orders = [o for o in _order_filter(candidates, params) if o.market.kind == category]
    page, nxt = paginate(orders, params, 20, 50)
    return {"list": [order_json(o) for o in page], "nextPageCursor": nxt, "category": category}


@private()
def order_history(request, venue: Venue, key, account: Account, params):
    category = params.get("category")
    market_of(venue, category, params.get("symbol"))
    if params.get("orderId") or params.get("orderLinkId"):
        o = venue.find_order(account, order_id=str(params.get("orderId") or ""),
                             link_id=str(params.get("orderLinkId") or ""))
        candidates = [o] if o is not None else []
    else:
        candidates = venue.closed_orders(account)
    orders = [o for o in _order_filter(candidates, params) if o.market.kind == category]
    if params.get("orderStatus"):
        wanted = set(params["orderStatus"].split(","))
        orders = [o for o in orders if o.status in wanted]
    orders = _time_filter(orders, params, "created")
    page, nxt = paginate(orders, params, 20, 50)
    return {"list": [order_json(o) for o in page], "nextPageCursor": nxt, "category": category}


def position_json(venue: Venue, account: Account, p) -> dict:
    m = p.market
    price = venue.last_price
    value = (p.size / p.entry if m.kind == "inverse" else p.size * p.entry) if p.size else ZERO
    return {
        "symbol": m.bybit_symbol, "leverage": fmt(p.leverage), "autoAddMargin": 0,
        "avgPrice": fmt(p.entry), "liqPrice": "", "riskLimitValue": "2000000",
        "takeProfit": "", "positionValue": fmt(value), "isReduceOnly": False,
        "tpslMode": "Full", "riskId": 1, "trailingStop": "0",
        "unrealisedPnl": fmt(p.upl(price)), "markPrice": fmt(price), "adlRankIndicator": 2 if p.size else 0,
        "cumRealisedPnl": fmt(p.realized), "positionMM": fmt(p.margin() / 2),
        "createdTime": str(p.created), "positionIdx": p.idx, "positionIM": fmt(p.margin()),
        "seq": venue.candles_done, "updatedTime": str(p.updated or p.created),
        "side": SIDE.get(p.side, ""), "bustPrice": "", "positionBalance": fmt(p.margin()),
        "leverageSysUpdatedTime": "", "curRealisedPnl": fmt(p.realized), "size": fmt(p.size),
        "positionStatus": "Normal", "mmrSysUpdatedTime": "", "stopLoss": "", "tradeMode": 0,
        "sessionAvgPrice": "",
    }


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


@private()
def execution_list(request, venue: Venue, key, account: Account, params):
    category = params.get("category")
    market_of(venue, category, params.get("symbol"))
    execs = [x for x in account.executions if x.order.market.kind == category]
    if params.get("symbol"):
        execs = [x for x in execs if x.order.market.bybit_symbol == params["symbol"]]
    if params.get("orderId"):
        execs = [x for x in execs if x.order.id == params["orderId"]]
    if params.get("orderLinkId"):
        execs = [x for x in execs if x.order.link_id == params["orderLinkId"]]
    if params.get("execType") and params["execType"] != "Trade":
        execs = []
    execs = _time_filter(execs, params, "time")
    execs.reverse()
    page, nxt = paginate(execs, params, 50, 100)
    rows = []
    for x in page:
        o = x.order
        value = x.qty / x.price if o.market.kind == "inverse" else x.qty * x.price
        rows.append({
            "symbol": o.market.bybit_symbol, "orderType": o.type.capitalize(),
            "underlyingPrice": "", "orderLinkId": o.link_id, "orderId": o.id,
            "stopOrderType": "UNKNOWN", "execTime": str(x.time), "feeCurrency": x.fee_coin if o.market.kind == "spot" else "",
            "createType": "CreateByUser", "feeRate": fmt(x.fee_rate), "tradeIv": "",
            "blockTradeId": "", "markPrice": fmt(x.price), "execPrice": fmt(x.price),
            "markIv": "", "orderQty": fmt(o.qty), "orderPrice": fmt(o.price) if o.price else "0",
            "execValue": fmt(value), "closedSize": fmt(x.closed_size) if o.market.kind != "spot" else "",
            "execType": "Trade", "seq": x.seq, "side": SIDE[x.side], "indexPrice": "",
            "leavesQty": fmt(o.leaves), "isMaker": x.is_maker, "execFee": fmt(x.fee),
            "execId": x.id, "marketUnit": "", "execQty": fmt(x.qty), "extraFees": "",
        })
    return {"list": rows, "nextPageCursor": nxt, "category": category}


def register(app: web.Application) -> None:
    global STATE_KEY
    from sequence.venue.server import STATE_KEY as key

    STATE_KEY = key
    r = app.router
    get, post = r.add_get, r.add_post
    get("/v5/market/time", server_time)
    get("/v5/market/instruments-info", instruments_info)
    get("/v5/market/tickers", tickers)
    get("/v5/asset/coin/query-info", coin_info)
    get("/v5/user/query-api", query_api)
    get("/v5/account/info", account_info)
    get("/v5/account/wallet-balance", wallet_balance)
    get("/v5/account/fee-rate", fee_rate)
    get("/v5/account/transaction-log", transaction_log)
    get("/v5/asset/transfer/query-account-coins-balance", fund_balance)
    get("/v5/asset/deposit/query-record", deposit_records)
    get("/v5/asset/withdraw/query-record", withdraw_records)
    get("/v5/asset/transfer/query-inter-transfer-list", inter_transfers)
    post("/v5/order/create", create_order)
    post("/v5/order/cancel", cancel_order)
    post("/v5/order/cancel-all", cancel_all)
    get("/v5/order/realtime", order_realtime)
    get("/v5/order/history", order_history)
    get("/v5/position/list", position_list)
    post("/v5/position/switch-mode", switch_mode)
    post("/v5/position/set-leverage", set_leverage)
    get("/v5/execution/list", execution_list)

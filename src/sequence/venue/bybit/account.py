"""Bybit account and asset endpoints: key info, balances, fees, ledger, transfers."""

from __future__ import annotations

import time
from decimal import Decimal

from aiohttp import web

from sequence.venue.bybit.auth import private
from sequence.venue.bybit.common import SIDE, market_of, paginate, week_window
from sequence.venue.engine import BYBIT_PERMISSION_GROUPS, Venue
from sequence.venue.model import ZERO, Account, ApiKey, Order, Transfer, fmt
from sequence.venue.protocol import JsonObject, Reject, time_window, transfers_of


@private()
def coin_info(request: web.Request, venue: Venue, key: ApiKey, account: Account,
              params: JsonObject) -> JsonObject:
    rows = []
    for coin in sorted({m.base for m in venue.markets.values()} | {m.settle for m in venue.markets.values()} - {"USD"}):
        rows.append({"name": coin, "coin": coin, "remainAmount": "50000000000", "chains": [
            {"chainType": "TRC20", "confirmation": "100", "withdrawFee": "1", "depositMin": "0",
             "withdrawMin": "1", "chain": "TRX", "chainDeposit": "1", "chainWithdraw": "1",
             "minAccuracy": "8", "withdrawPercentageFee": "0", "contractAddress": ""}]})
    return {"rows": rows}


@private()
def query_api(request: web.Request, venue: Venue, key: ApiKey, account: Account,
              params: JsonObject) -> JsonObject:
    server = venue.wall_ms()
    perms = {k: list(v) for k, v in key.permissions.items()}
    for name in BYBIT_PERMISSION_GROUPS:
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
def account_info(request: web.Request, venue: Venue, key: ApiKey, account: Account,
                 params: JsonObject) -> JsonObject:
    return {"unifiedMarginStatus": 6, "marginMode": MARGIN_MODES[account.margin_mode],
            "isMasterTrader": False,
            "spotHedgingStatus": "OFF", "updatedTime": str(account.created), "dcpStatus": "OFF",
            "timeWindow": 10, "smpGroup": 0}


MARGIN_MODES = {"cross": "REGULAR_MARGIN", "isolated": "ISOLATED_MARGIN",
                "portfolio": "PORTFOLIO_MARGIN"}


@private("position")
def set_margin_mode(request: web.Request, venue: Venue, key: ApiKey, account: Account,
                    params: JsonObject) -> JsonObject:
    """UTA margin mode, account-wide (what ccxt's ``set_margin_mode`` sends)."""
    wanted = {v: k for k, v in MARGIN_MODES.items()}.get(str(params.get("setMarginMode", "")))
    if wanted is None:
        raise Reject(10001, "params error: setMarginMode must be ISOLATED_MARGIN, "
                            "REGULAR_MARGIN or PORTFOLIO_MARGIN")
    account.margin_mode = wanted
    return {"reasons": []}


def _usd(venue: Venue, coin: str, amount: Decimal) -> Decimal:
    if coin in ("USDT", "USDC", "USD"):
        return amount
    return amount * venue.last_price


@private()
def wallet_balance(request: web.Request, venue: Venue, key: ApiKey, account: Account,
                   params: JsonObject) -> JsonObject:
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
def fund_balance(request: web.Request, venue: Venue, key: ApiKey, account: Account,
                 params: JsonObject) -> JsonObject:
    if params.get("accountType") not in ("FUND", "UNIFIED"):
        raise Reject(10001, "accountType invalid")
    wallet = "funding" if params.get("accountType") == "FUND" else "trading"
    want = set(filter(None, (params.get("coin") or "").split(",")))
    bal = [{"coin": c, "walletBalance": fmt(v), "transferBalance": fmt(venue.available(account, c, wallet)),
            "bonus": ""} for c, v in sorted(account.wallets[wallet].items()) if not want or c in want]
    return {"accountType": params["accountType"], "memberId": account.id, "balance": bal}


@private()
def fee_rate(request: web.Request, venue: Venue, key: ApiKey, account: Account,
             params: JsonObject) -> JsonObject:
    category = params.get("category", "")
    market_of(venue, category, params.get("symbol"))
    return {"list": [{"symbol": m.bybit_symbol, "baseCoin": m.base if m.kind == "spot" else "",
                      "takerFeeRate": fmt(venue.fee_rates(m)[1]),
                      "makerFeeRate": fmt(venue.fee_rates(m)[0])}
                     for m in venue.markets.values() if m.kind == category]}


LEDGER_TYPE = {"TRADE": "TRADE", "TRANSFER_IN": "TRANSFER_IN", "TRANSFER_OUT": "TRANSFER_OUT"}


@private()
def transaction_log(request: web.Request, venue: Venue, key: ApiKey, account: Account,
                    params: JsonObject) -> JsonObject:
    entries = [e for e in account.ledger if e.wallet == "trading"]
    if params.get("currency"):
        entries = [e for e in entries if e.coin == params["currency"]]
    if params.get("category"):
        entries = [e for e in entries if (m := e.market) is not None
                   and m.kind == params["category"]]
    if params.get("type"):
        entries = [e for e in entries if e.type == params["type"]]
    entries = time_window(entries, lambda e: e.time, *week_window(params, venue.now()))
    entries.reverse()
    page, nxt = paginate(entries, params, 20, 50)
    rows = []
    for e in page:
        x = e.execution
        o = x.order if x else None
        m = e.market
        if e.position is not None:  # a funding settlement: the position's side when it was paid
            side, size, qty, price = SIDE[e.side or e.position.side or "buy"], e.size, e.size, e.price
        else:
            side = SIDE[x.side] if x else "None"
            size = _pos_size(account, o) if o else ZERO
            qty, price = (x.qty, x.price) if x else (ZERO, None)
        rows.append({
            "symbol": m.bybit_symbol if m else "", "side": side,
            "funding": fmt(e.funding) if e.type == "SETTLEMENT" else "",
            "orderLinkId": o.link_id if o else "", "orderId": o.id if o else "",
            "fee": fmt(e.fee), "change": fmt(e.change), "cashFlow": fmt(e.cash_flow),
            "transactionTime": str(e.time), "type": LEDGER_TYPE.get(e.type, e.type),
            "feeRate": fmt(x.fee_rate) if x else "0", "bonusChange": "",
            "size": fmt(size), "qty": fmt(qty), "cashBalance": fmt(e.balance),
            "currency": e.coin, "id": e.id, "category": m.kind if m else "",
            "tradePrice": fmt(price) if price is not None else "",
            "tradeId": x.id if x else "", "extraFees": "",
        })
    return {"list": rows, "nextPageCursor": nxt}


def _pos_size(account: Account, o: Order) -> Decimal:
    if o.market.kind == "spot":
        return ZERO
    pos = account.positions.get((o.market.key, o.position_idx))
    return pos.size if pos else ZERO


def _transfers(account: Account, kind: str, params: JsonObject) -> list[Transfer]:
    items = transfers_of(account, kind, params.get("coin"))
    return time_window(items, lambda t: t.time, params.get("startTime"), params.get("endTime"))


@private()
def deposit_records(request: web.Request, venue: Venue, key: ApiKey, account: Account,
                    params: JsonObject) -> JsonObject:
    page, nxt = paginate(_transfers(account, "deposit", params), params, 50, 50)
    return {"rows": [{
        "id": t.id, "coin": t.coin, "chain": t.chain, "amount": fmt(t.amount), "txID": t.tx_id,
        "status": 3 if t.status == "success" else 1, "toAddress": "TXsimulateddepositaddress",
        "tag": "", "depositFee": "", "successAt": str(t.time), "confirmations": "100",
        "txIndex": "0", "blockHash": "", "batchReleaseLimit": "-1", "depositType": "0",
        "fromAddress": "", "taxDepositRecordsId": "0", "taxStatus": 0,
    } for t in page], "nextPageCursor": nxt}


@private()
def withdraw_records(request: web.Request, venue: Venue, key: ApiKey, account: Account,
                     params: JsonObject) -> JsonObject:
    page, nxt = paginate(_transfers(account, "withdrawal", params), params, 50, 50)
    return {"rows": [{
        "coin": t.coin, "chain": t.chain, "amount": fmt(t.amount), "txID": t.tx_id,
        "status": "success" if t.status == "success" else "Pending", "toAddress": t.address,
        "tag": "", "withdrawFee": fmt(t.fee), "createTime": str(t.time),
        "updateTime": str(t.time), "withdrawId": t.id, "withdrawType": 0,
    } for t in page], "nextPageCursor": nxt}


ACCOUNT_TYPE = {"trading": "UNIFIED", "funding": "FUND"}


@private()
def inter_transfers(request: web.Request, venue: Venue, key: ApiKey, account: Account,
                    params: JsonObject) -> JsonObject:
    page, nxt = paginate(_transfers(account, "transfer", params), params, 20, 50)
    return {"list": [{
        "transferId": t.id, "coin": t.coin, "amount": fmt(t.amount),
        "fromAccountType": ACCOUNT_TYPE[t.from_wallet], "toAccountType": ACCOUNT_TYPE[t.to_wallet],
        "timestamp": str(t.time), "status": t.status,
    } for t in page], "nextPageCursor": nxt}

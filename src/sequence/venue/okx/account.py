"""OKX account and asset endpoints: config, balances, positions, leverage, bills, transfers."""

from __future__ import annotations

from decimal import Decimal

from aiohttp import web

from sequence.venue.engine import Venue
from sequence.venue.model import (
    ZERO,
    Account,
    ApiKey,
    Execution,
    LedgerEntry,
    Transfer,
    VenueError,
    fmt,
)
from sequence.venue.okx.auth import ok, private
from sequence.venue.okx.common import market_of, page_by_id, size_out, to_contracts
from sequence.venue.okx.render import position_json
from sequence.venue.protocol import Answer, JsonObject, Reject, transfers_of


def _pos_mode(venue: Venue, account: Account) -> str:
    hedged = any(account.is_hedge(m) for m in venue.markets.values() if m.is_derivative)
    return "long_short_mode" if hedged else "net_mode"


@private()
def account_config(request: web.Request, venue: Venue, key: ApiKey, account: Account,
                   params: JsonObject) -> Answer:
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
def balance(request: web.Request, venue: Venue, key: ApiKey, account: Account,
            params: JsonObject) -> Answer:
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
        d: JsonObject = dict.fromkeys(_DETAIL_KEYS, "")
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
def funding_balances(request: web.Request, venue: Venue, key: ApiKey, account: Account,
                     params: JsonObject) -> Answer:
    want = set(filter(None, (params.get("ccy") or "").split(",")))
    return ok([{"availBal": fmt(v), "bal": fmt(v), "ccy": c, "frozenBal": "0"}
               for c, v in sorted(account.wallets["funding"].items())
               if not want or c in want])


@private()
def positions(request: web.Request, venue: Venue, key: ApiKey, account: Account,
              params: JsonObject) -> Answer:
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
def set_position_mode(request: web.Request, venue: Venue, key: ApiKey, account: Account,
                      params: JsonObject) -> Answer:
    mode = params.get("posMode")
    if mode not in ("long_short_mode", "net_mode"):
        raise Reject("51000", "Parameter posMode error")
    venue.set_position_mode(account, None, mode == "long_short_mode")
    return ok([{"posMode": mode}])


@private(trade=True)
def set_leverage(request: web.Request, venue: Venue, key: ApiKey, account: Account,
                 params: JsonObject) -> Answer:
    """Also what ccxt's ``set_margin_mode`` sends (``mgnMode`` with a ``lever``). Setting the
    leverage it already has succeeds, as on OKX."""
    m = market_of(venue, params.get("instId"))
    mode = params.get("mgnMode")
    if mode not in ("cross", "isolated"):
        raise Reject("51000", "Parameter mgnMode error")
    if m.kind == "spot":
        raise Reject("51000", "Parameter instId error")
    try:
        venue.set_leverage(account, m, params.get("lever"))
    except VenueError as e:
        if e.kind != "leverage_not_modified":
            raise
    account.inst_margin[m.key] = mode
    return ok([{"instId": m.okx_inst_id, "lever": fmt(account.lev(m)), "mgnMode": mode,
                "posSide": params.get("posSide", "")}])


@private()
def leverage_info(request: web.Request, venue: Venue, key: ApiKey, account: Account,
                  params: JsonObject) -> Answer:
    mode = params.get("mgnMode")
    if mode not in ("cross", "isolated"):
        raise Reject("50014", "Parameter mgnMode can not be empty.")
    ids = [i for i in (params.get("instId") or "").split(",") if i]
    if not ids:
        raise Reject("50014", "Parameter instId can not be empty.")
    rows = []
    for inst in ids:
        m = market_of(venue, inst)
        sides = ("long", "short") if account.is_hedge(m) and mode == "isolated" else ("net",)
        for side in sides:
            rows.append({"instId": m.okx_inst_id, "mgnMode": mode, "posSide": side,
                         "lever": fmt(account.lev(m))})
    return ok(rows)


_BILL_KEYS = (
    "bal", "balChg", "billId", "ccy", "clOrdId", "execType", "fee", "fillFwdPx", "fillIdxPx",
    "fillMarkPx", "fillMarkVol", "fillPxUsd", "fillPxVol", "fillTime", "from", "instId",
    "instType", "interest", "mgnMode", "notes", "ordId", "pnl", "posBal", "posBalChg", "px",
    "subType", "sz", "tag", "to", "tradeId", "ts", "type")


def _bill_type(e: LedgerEntry) -> str:
    """OKX bill type: 1 transfer, 2 trade, 5 liquidation, 8 funding fee."""
    return {"TRADE": "2", "LIQUIDATION": "5", "SETTLEMENT": "8"}.get(e.type, "1")


def _bill_subtype(x: Execution) -> str:
    m = x.order.market
    if x.exec_type == "BustTrade":  # 104 liquidation long, 105 liquidation short
        return "104" if x.side == "sell" else "105"
    if m.kind == "spot":
        return "1" if x.side == "buy" else "2"
    if x.closed_size > 0:
        return "5" if x.side == "sell" else "6"  # close long / close short
    return "3" if x.side == "buy" else "4"  # open long / open short


def _bill_size(e: LedgerEntry, x: Execution) -> str:
    """A fill's bill ``sz``: in the row's currency for SPOT (the quote row holds the
    amount of quote coin traded, the base row the base coin), in contracts for SWAP."""
    m = x.order.market
    if m.kind == "spot" and e.coin != m.base:
        return fmt(x.qty * x.price)
    return size_out(x.order, x.qty)


@private()
def bills(request: web.Request, venue: Venue, key: ApiKey, account: Account,
          params: JsonObject) -> Answer:
    entries = [e for e in reversed(account.ledger) if e.wallet == "trading"]
    if params.get("ccy"):
        entries = [e for e in entries if e.coin == params["ccy"]]
    if params.get("type"):
        entries = [e for e in entries if _bill_type(e) == params["type"]]
    if params.get("instType"):
        entries = [e for e in entries if (m := e.market) is not None
                   and m.okx_inst_type == params["instType"]]
    if params.get("begin"):
        entries = [e for e in entries if e.time >= int(params["begin"])]
    if params.get("end"):
        entries = [e for e in entries if e.time <= int(params["end"])]
    rows = []
    for e in page_by_id(entries, params, lambda e: e.id):
        d: JsonObject = dict.fromkeys(_BILL_KEYS, "")
        x = e.execution
        d.update(bal=fmt(e.balance), balChg=fmt(e.change), billId=e.id, ccy=e.coin,
                 fee=fmt(-e.fee), interest="0", ts=str(e.time), fillTime=str(e.time), notes="")
        if x is not None:
            o = x.order
            d.update(clOrdId=o.link_id, execType="M" if x.is_maker else "T",
                     instId=o.market.okx_inst_id, instType=o.market.okx_inst_type,
                     mgnMode="cash" if o.market.kind == "spot" else "cross", ordId=o.id,
                     pnl=fmt(e.cash_flow), posBal="0", posBalChg="0", px=fmt(x.price),
                     subType=_bill_subtype(x), sz=_bill_size(e, x), tag=o.tag,
                     tradeId=x.id, type=_bill_type(e))
        elif e.position is not None:  # funding: 173 expense, 174 income
            m = e.position.market
            d.update(type="8", subType="174" if e.change > 0 else "173", instId=m.okx_inst_id,
                     instType=m.okx_inst_type, mgnMode="cross", pnl=fmt(e.change),
                     px=fmt(e.price), sz=fmt(to_contracts(m, e.size)), tradeId="",
                     posBal="0", posBalChg="0")
        else:
            d.update(type="1", subType="11" if e.change > 0 else "12", sz=fmt(abs(e.change)),
                     tradeId="0", **{"from": "6" if e.change > 0 else "18",
                                     "to": "18" if e.change > 0 else "6"})
        rows.append(d)
    return ok(rows)


def _transfers(account: Account, kind: str, params: JsonObject) -> list[Transfer]:
    return page_by_id(transfers_of(account, kind, params.get("ccy")), params, lambda t: t.id)


@private()
def deposit_history(request: web.Request, venue: Venue, key: ApiKey, account: Account,
                    params: JsonObject) -> Answer:
    return ok([{
        "actualDepBlkConfirm": "100", "amt": fmt(t.amount), "areaCodeFrom": "",
        "ccy": t.coin, "chain": f"{t.coin}-TRC20", "depId": t.id, "from": "",
        "fromWdId": "", "state": "2" if t.status == "success" else "0",
        "to": "TXsimulateddepositaddress", "ts": str(t.time), "txId": t.tx_id,
    } for t in _transfers(account, "deposit", params)])


@private()
def withdrawal_history(request: web.Request, venue: Venue, key: ApiKey, account: Account,
                       params: JsonObject) -> Answer:
    return ok([{
        "addrEx": None, "amt": fmt(t.amount), "areaCodeFrom": "", "areaCodeTo": "",
        "ccy": t.coin, "chain": f"{t.coin}-TRC20", "clientId": "", "fee": fmt(t.fee),
        "feeCcy": t.coin, "from": "", "memo": "", "nonTradableAsset": False, "pmtId": "",
        "state": "2" if t.status == "success" else "0", "tag": "", "to": t.address,
        "toAddrType": "1", "ts": str(t.time), "txId": t.tx_id, "wdId": t.id,
    } for t in _transfers(account, "withdrawal", params)])


@private()
def currencies(request: web.Request, venue: Venue, key: ApiKey, account: Account,
               params: JsonObject) -> Answer:
    """The coins of the venue's markets, one row per chain (one TRC20 chain each), as
    ccxt's default ``load_markets`` reads them (``fetch_currencies``)."""
    want = set(filter(None, str(params.get("ccy") or "").split(",")))
    coins = sorted({m.base for m in venue.markets.values()}
                   | {m.quote for m in venue.markets.values()}
                   | {m.settle for m in venue.markets.values()} - {"USD"})
    return ok([{
        "ccy": c, "name": c, "chain": f"{c}-TRC20", "logoLink": "", "mainNet": False,
        "canDep": True, "canWd": True, "canInternal": True, "depEstOpenTime": "",
        "wdEstOpenTime": "", "minDep": "0.00000001", "minDepArrivalConfirm": "1",
        "minWd": "1" if c in ("USDT", "USDC") else "0.0001", "minWdUnlockConfirm": "2",
        "maxWd": "10000000", "wdTickSz": "8", "wdQuota": "10000000", "usedWdQuota": "0",
        "fee": "1" if c in ("USDT", "USDC") else "0.0001", "minFee": "1", "maxFee": "1",
        "needTag": False, "burningFeeRate": "", "ctAddr": "", "depQuotaFixed": "",
        "usedDepQuotaFixed": "", "depQuoteDailyLayer2": "",
    } for c in coins if not want or c in want])


@private()
def trade_fee(request: web.Request, venue: Venue, key: ApiKey, account: Account,
              params: JsonObject) -> Answer:
    """The fee rates in force, as OKX writes them: negative for a fee charged (a rebate
    would be positive). SPOT by ``instId``; SWAP by ``uly``/``instFamily`` (``BTC-USDT``:
    USDT-margined, also in ``makerU``/``takerU``; ``BTC-USD``: coin-margined)."""
    inst_type = params.get("instType")
    if inst_type not in ("SPOT", "SWAP", "MARGIN", "FUTURES", "OPTION"):
        raise Reject("50014", "Parameter instType can not be empty.")
    family = str(params.get("instFamily") or params.get("uly") or "")
    if inst_type == "SPOT":
        m = market_of(venue, params.get("instId"))
    else:
        found = [x for x in venue.markets.values() if x.is_derivative
                 and f"{x.base}-{x.quote}" == family]
        if not found:
            raise Reject("51000", "Parameter instFamily error")
        m = found[0]
    maker, taker = (fmt(-r) for r in venue.fee_rates(m))
    usdt = m.kind == "linear"
    return ok([{
        "category": "1", "delivery": "", "exercise": "", "instType": inst_type, "level": "Lv1",
        "maker": maker, "taker": taker, "makerU": maker if usdt else "",
        "takerU": taker if usdt else "", "makerUSDC": "", "takerUSDC": "", "ruleType": "normal",
        "ts": str(venue.wall_ms()), "fiat": [],
    }])

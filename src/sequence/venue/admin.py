"""The admin JSON API under ``/admin/`` (loopback clients only; see server.py).

All bodies and answers are JSON objects; amounts are decimal strings. Errors:
``{"error": "..."}`` with HTTP 400 (bad input) or 404 (unknown account).

==========================  ==========================================================
POST /admin/accounts        {name, parent_id?} -> account
GET  /admin/accounts        -> {accounts: [...]}
GET  /admin/accounts/{id}   -> account with wallets, positions, open orders
GET  /admin/accounts/{id}/orders -> every order kept, open and closed
POST /admin/fund            {account_id, coin, amount, wallet?=trading}: credit a wallet
POST /admin/keys            {account_id, exchange, permissions?, ips?, expires_at?,
                             read_only?, label?, passphrase?} -> key (with secret)
POST /admin/deposit         {account_id, coin, amount, wallet?=funding, status?}
POST /admin/withdraw        {account_id, coin, amount, wallet?=funding, address?}
POST /admin/transfer        {account_id, coin, amount, from_wallet, to_wallet,
                             to_account_id?}
POST /admin/faults          {kind, path?, method?, count?, probability?, ms?, status?,
                             seconds?} -> fault; DELETE /admin/faults clears all
GET  /admin/faults          -> {faults: [...]}
GET  /admin/clock           -> {market_ms, wall_ms, speed, lockstep, last_price, bid, ask,
                             candles_done, feed}
POST /admin/clock           {speed?, advance_ms?, advance_candles?, set_ms?, lockstep?}
POST /admin/step            {candles?=1} -> {candles: [...], clock}: lock-step advance
POST /admin/feed            {candles? (a path), seed?, price?, rebase?, speed?}
GET  /admin/profile         -> the market profile (see profile.py)
POST /admin/profile         {preset?: default|parity|ideal, maker_fee?, <field>?...}
GET  /admin/requests        {since?} -> {requests: [...], size}; DELETE clears it
POST /admin/requests        {size} resizes the ring buffer
GET  /admin/limits          -> {enabled, scale}: the rate limits (see limits.py)
POST /admin/limits          {enabled?, scale?}: scale multiplies every real figure
==========================  ==========================================================

``fund`` books the amount as a transfer into the wallet (Bybit ledger type
``TRANSFER_IN``, OKX bill type 1); ``deposit`` also writes a deposit record
(visible in the exchanges' deposit history).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

from aiohttp import web

from sequence.venue.base import Candle
from sequence.venue.engine import Venue, make_feed
from sequence.venue.feed import MINUTE_MS
from sequence.venue.model import Account, Transfer, VenueError, fmt
from sequence.venue.profile import PARITY_MAKER_FEE, MarketProfile
from sequence.venue.protocol import JsonObject
from sequence.venue.state import STATE_KEY, Fault, State


def _json(data: JsonObject, status: int = 200) -> web.Response:
    return web.json_response(data, status=status)


def _state(request: web.Request) -> State:
    return request.app[STATE_KEY]


async def _body(request: web.Request) -> JsonObject:
    raw = await request.read()
    if not raw:
        return {}
    data = json.loads(raw)
    if not isinstance(data, dict):
        raise ValueError("body must be a JSON object")
    return data


def account_json(venue: Venue, acct: Account, detail: bool = False) -> JsonObject:
    out: JsonObject = {"id": acct.id, "name": acct.name, "parent_id": acct.parent_id,
           "created": acct.created}
    if detail:
        out["wallets"] = {w: {c: fmt(v) for c, v in b.items()} for w, b in acct.wallets.items()}
        out["positions"] = [
            {"market": p.market.key, "idx": p.idx, "side": p.side, "size": fmt(p.size),
             "entry": fmt(p.entry), "realized": fmt(p.realized)}
            for p in acct.positions.values() if p.size > 0]
        out["open_orders"] = [
            {"id": o.id, "link_id": o.link_id, "market": o.market.key, "side": o.side,
             "price": fmt(o.price), "qty": fmt(o.qty), "reduce_only": o.reduce_only,
             "position_idx": o.position_idx} for o in acct.open_orders.values()]
        out["hedge"] = {k: v for k, v in acct.hedge.items() if v}
        out["executions"] = len(acct.executions)
    return out


AdminFn = Callable[[web.Request, State, JsonObject], JsonObject]


def handler(fn: AdminFn) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def wrapped(request: web.Request) -> web.Response:
        try:
            body = await _body(request) if request.method in ("POST", "PUT") else {}
            return _json(fn(request, _state(request), body))
        except VenueError as e:
            return _json({"error": e.message, "kind": e.kind},
                         status=404 if e.kind == "not_found" else 400)
        except (ValueError, TypeError, KeyError) as e:
            return _json({"error": f"bad request: {e}"}, status=400)

    return wrapped


def _need(body: JsonObject, *names: str) -> None:
    missing = [n for n in names if body.get(n) in (None, "")]
    if missing:
        raise ValueError("missing " + ", ".join(missing))


@handler
def create_account(request: web.Request, state: State, body: JsonObject) -> JsonObject:
    _need(body, "name")
    acct = state.venue.create_account(str(body["name"]), body.get("parent_id"))
    return account_json(state.venue, acct)


@handler
def list_accounts(request: web.Request, state: State, body: JsonObject) -> JsonObject:
    return {"accounts": [account_json(state.venue, a) for a in state.venue.accounts.values()]}


@handler
def get_account(request: web.Request, state: State, body: JsonObject) -> JsonObject:
    acct = state.venue.account(request.match_info["id"])
    return account_json(state.venue, acct, detail=True)


@handler
def account_orders(request: web.Request, state: State, body: JsonObject) -> JsonObject:
    """Every order the venue still holds for the account, open and closed (tests audit engines with it)."""
    acct = state.venue.account(request.match_info["id"])
    return {"orders": [
        {"id": o.id, "link_id": o.link_id, "market": o.market.key, "side": o.side, "status": o.status,
         "price": fmt(o.price), "qty": fmt(o.qty), "filled": fmt(o.filled), "reduce_only": o.reduce_only,
         "position_idx": o.position_idx, "created": o.created} for o in acct.orders.values()]}


def _transfer_json(t: Transfer) -> JsonObject:
    return {"id": t.id, "kind": t.kind, "account_id": t.account_id, "coin": t.coin,
            "amount": fmt(t.amount), "time": t.time, "status": t.status,
            "from_wallet": t.from_wallet, "to_wallet": t.to_wallet,
            "to_account_id": t.to_account_id}


@handler
def fund(request: web.Request, state: State, body: JsonObject) -> JsonObject:
    _need(body, "account_id", "coin", "amount")
    v = state.venue
    acct = v.account(body["account_id"])
    wallet = body.get("wallet", "trading")
    v._check_wallet(wallet)
    amount = v._positive(body["amount"])
    v._book_entry(acct, str(body["coin"]), "TRANSFER_IN", amount, wallet=wallet, note="fund")
    return {"account_id": acct.id, "coin": body["coin"], "wallet": wallet,
            "balance": fmt(acct.balance(str(body["coin"]), wallet))}


@handler
def deposit(request: web.Request, state: State, body: JsonObject) -> JsonObject:
    _need(body, "account_id", "coin", "amount")
    t = state.venue.deposit(body["account_id"], str(body["coin"]), body["amount"],
                            wallet=body.get("wallet", "funding"),
                            status=body.get("status", "success"))
    return _transfer_json(t)


@handler
def withdraw(request: web.Request, state: State, body: JsonObject) -> JsonObject:
    _need(body, "account_id", "coin", "amount")
    t = state.venue.withdraw(body["account_id"], str(body["coin"]), body["amount"],
                             wallet=body.get("wallet", "funding"),
                             address=body.get("address", "TXsimulatedaddress"))
    return _transfer_json(t)


@handler
def transfer(request: web.Request, state: State, body: JsonObject) -> JsonObject:
    _need(body, "account_id", "coin", "amount", "from_wallet", "to_wallet")
    t = state.venue.transfer(body["account_id"], str(body["coin"]), body["amount"],
                             from_wallet=body["from_wallet"], to_wallet=body["to_wallet"],
                             to_account_id=body.get("to_account_id"))
    return _transfer_json(t)


@handler
def create_key(request: web.Request, state: State, body: JsonObject) -> JsonObject:
    _need(body, "account_id", "exchange")
    expires = body.get("expires_at")
    key = state.venue.create_key(
        str(body["account_id"]), exchange=str(body["exchange"]),
        permissions=body.get("permissions"), ips=body.get("ips") or [],
        expires_at=int(expires) if expires not in (None, "") else None,
        read_only=bool(body.get("read_only", False)), label=str(body.get("label", "")),
        passphrase=body.get("passphrase"))
    return key.public()


@handler
def add_fault(request: web.Request, state: State, body: JsonObject) -> JsonObject:
    _need(body, "kind")
    if body["kind"] not in ("latency", "http_5xx", "timeout", "drop"):
        raise ValueError("kind must be latency, http_5xx, timeout or drop")
    state.fault_ids += 1
    f = Fault(kind=body["kind"], path=str(body.get("path", "")),
              method=str(body.get("method", "")),
              count=int(body["count"]) if body.get("count") is not None else None,
              probability=float(body.get("probability", 1.0)), ms=int(body.get("ms", 0)),
              status=int(body.get("status", 503)), seconds=float(body.get("seconds", 30.0)),
              id=state.fault_ids)
    state.faults.append(f)
    return f.public()


@handler
def list_faults(request: web.Request, state: State, body: JsonObject) -> JsonObject:
    return {"faults": [f.public() for f in state.faults]}


@handler
def clear_faults(request: web.Request, state: State, body: JsonObject) -> JsonObject:
    n = len(state.faults)
    state.faults.clear()
    return {"cleared": n}


def _clock_json(v: Venue) -> JsonObject:
    bid, ask = v.quote(next(iter(v.markets.values())))
    return {"market_ms": v.now(), "speed": v.clock.speed, "lockstep": v.lockstep,
            "last_price": fmt(v.last_price), "bid": fmt(bid), "ask": fmt(ask),
            "candles_done": v.candles_done, "feed": v.feed.describe(), "wall_ms": v.wall_ms()}


def _candle_json(c: Candle) -> JsonObject:
    ts, o, h, low, close, vol = c
    return {"ts": ts, "open": fmt(o), "high": fmt(h), "low": fmt(low), "close": fmt(close),
            "volume": fmt(vol)}


@handler
def get_clock(request: web.Request, state: State, body: JsonObject) -> JsonObject:
    return _clock_json(state.venue)


@handler
def set_clock(request: web.Request, state: State, body: JsonObject) -> JsonObject:
    v = state.venue
    if body.get("lockstep") is not None:
        v.set_lockstep(bool(body["lockstep"]))
    if body.get("speed") is not None:
        if v.lockstep:
            raise ValueError("the clock is in lock-step: set lockstep false first")
        v.clock.set_speed(float(body["speed"]))
    if body.get("advance_ms") is not None:
        v.clock.advance(int(body["advance_ms"]))
    if body.get("advance_candles") is not None:
        v.clock.advance(int(body["advance_candles"]) * MINUTE_MS)
    if body.get("set_ms") is not None:
        v.clock.set_time(int(body["set_ms"]))
    v.sync()
    return _clock_json(v)


@handler
def set_feed_handler(request: web.Request, state: State, body: JsonObject) -> JsonObject:
    v = state.venue
    feed = make_feed(body.get("candles"), seed=int(body.get("seed", 1)),
                     price=float(body.get("price", 30000.0)), rebase=bool(body.get("rebase", True)))
    v.replace_feed(feed, speed=float(body["speed"]) if body.get("speed") is not None else None)
    return _clock_json(v)


@handler
def step(request: web.Request, state: State, body: JsonObject) -> JsonObject:
    n = int(body.get("candles", 1))
    if not 1 <= n <= 100_000:
        raise ValueError("candles must be between 1 and 100000")
    v = state.venue
    done = []
    for _ in range(n):
        candle = v.step()
        if candle is None:
            break
        done.append(_candle_json(candle))
    return {"candles": done, "clock": _clock_json(v)}


PRESETS = {"default": MarketProfile, "ideal": MarketProfile.ideal}


@handler
def get_profile(request: web.Request, state: State, body: JsonObject) -> JsonObject:
    return state.venue.profile.public()


@handler
def set_profile(request: web.Request, state: State, body: JsonObject) -> JsonObject:
    changes = dict(body)
    preset = changes.pop("preset", None)
    v = state.venue
    if preset == "parity":
        base = MarketProfile.parity(changes.pop("maker_fee", PARITY_MAKER_FEE))
    elif preset is not None:
        if preset not in PRESETS:
            raise ValueError("preset must be default, parity or ideal")
        base = PRESETS[preset]()
    else:
        base = v.profile
    v.set_profile(base.updated(**changes))
    return v.profile.public()


@handler
def get_requests(request: web.Request, state: State, body: JsonObject) -> JsonObject:
    log = state.venue.request_log
    since = int(request.query.get("since", 0))
    return {"requests": [r.public() for r in log.records(since)], "size": log.size}


@handler
def clear_requests(request: web.Request, state: State, body: JsonObject) -> JsonObject:
    return {"cleared": state.venue.request_log.clear()}


@handler
def resize_requests(request: web.Request, state: State, body: JsonObject) -> JsonObject:
    _need(body, "size")
    state.venue.request_log.resize(int(body["size"]))
    return {"size": state.venue.request_log.size}


@handler
def get_limits(request: web.Request, state: State, body: JsonObject) -> JsonObject:
    return state.venue.limits.public()


@handler
def set_limits(request: web.Request, state: State, body: JsonObject) -> JsonObject:
    enabled = body.get("enabled")
    scale = body.get("scale")
    state.venue.limits.configure(enabled=None if enabled is None else bool(enabled),
                                 scale=None if scale is None else float(scale))
    return state.venue.limits.public()


def register(app: web.Application) -> None:
    r = app.router
    r.add_post("/admin/accounts", create_account)
    r.add_get("/admin/accounts", list_accounts)
    r.add_get("/admin/accounts/{id}", get_account)
    r.add_get("/admin/accounts/{id}/orders", account_orders)
    r.add_post("/admin/fund", fund)
    r.add_post("/admin/keys", create_key)
    r.add_post("/admin/deposit", deposit)
    r.add_post("/admin/withdraw", withdraw)
    r.add_post("/admin/transfer", transfer)
    r.add_post("/admin/faults", add_fault)
    r.add_get("/admin/faults", list_faults)
    r.add_delete("/admin/faults", clear_faults)
    r.add_get("/admin/clock", get_clock)
    r.add_post("/admin/clock", set_clock)
    r.add_post("/admin/feed", set_feed_handler)
    r.add_post("/admin/step", step)
    r.add_get("/admin/profile", get_profile)
    r.add_post("/admin/profile", set_profile)
    r.add_get("/admin/requests", get_requests)
    r.add_delete("/admin/requests", clear_requests)
    r.add_post("/admin/requests", resize_requests)
    r.add_get("/admin/limits", get_limits)
    r.add_post("/admin/limits", set_limits)

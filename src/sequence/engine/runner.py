"""One step of one bot: snapshot -> reconcile -> decide -> diff -> cancel / create.

Start and crash recovery are this same path: every step reconciles first and trades after,
so a step that died halfway (kill -9 between "recorded" and "sent", or after "sent") is
finished by the next one: a pending order is looked up by its client id, never re-sent.

Writes happen at three points, each one transaction of the store:
1. ``store.commit`` after reconcile *and* with the new orders recorded as PENDING: every
   order exists in the database before its request is sent;
2. the sends; a time-out or dropped response leaves the order pending (looked up next step);
   a duplicate-id reject means it exists: it is looked up now;
3. the step's end (the caller's): the outcomes, the cursors and the next due time, together.

A create that fills at once (the venue's parity profile; never a post-only order on a real
book) changes the state the plan was made from, so the step snapshots and plans again, up
to ``MAX_ROUNDS`` times, until a round sees no new fill.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Protocol

from sequence.core.clock import from_ms, to_ms
from sequence.core.precision import ZERO
from sequence.engine.diff import diff
from sequence.engine.ids import OrderId, decode, encode
from sequence.engine.model import BotContext, EngineEvent, OrderRecord, StepState
from sequence.engine.plan import Desired, SideInput, plan_orders
from sequence.engine.reconcile import (
    adopt_fill,
    apply_lookup,
    entry_live,
    explained,
    funding_event,
    seen_ours,
    settle,
    spot_position,
)
from sequence.exchanges.domain import (
    Fill,
    LedgerEntry,
    LedgerKind,
    Order,
    OrderRequest,
    PositionSide,
    Side,
)
from sequence.exchanges.errors import (
    DuplicateClientOrderIdError,
    ExchangeError,
    InsufficientFundsError,
    InvalidOrderError,
    OrderNotFoundError,
)
from sequence.exchanges.port import ExchangePort
from sequence.strategy.decide import SideName
from sequence.strategy.params import Params

__all__ = ["MAX_ROUNDS", "Snapshot", "StepResult", "Store", "run_step"]

log = logging.getLogger(__name__)
MAX_ROUNDS = 4
REREAD_MS = 300_000  # fills are read again this far before the cursor: late ones are not missed
FIRST_READ_MS = 3_600_000


class Store(Protocol):
    async def commit(self, ctx: BotContext, state: StepState) -> None: ...


@dataclass(frozen=True, slots=True)
class Snapshot:
    balance: Decimal
    positions: dict[str, tuple[Decimal, Decimal]]  # side -> (size in strategy units, entry)
    open_orders: list[Order]
    fills: list[Fill]
    bid: Decimal
    ask: Decimal
    last: Decimal
    market_ms: int
    ledger: list[LedgerEntry]


@dataclass(slots=True)
class StepResult:
    rounds: int = 0
    creates: int = 0
    cancels: int = 0
    lookups: int = 0
    fills: int = 0


async def read_snapshot(ctx: BotContext, port: ExchangePort, state: StepState) -> Snapshot:
    ticker = await port.fetch_ticker(ctx.symbol)
    wallet = await port.fetch_balance()
    balance = wallet.get(ctx.base_currency).total
    positions = await _positions(ctx, port) if not ctx.spot else {}
    open_orders = await port.fetch_open_orders(ctx.symbol)
    last = ticker.last or ticker.bid or ticker.ask
    bid = ticker.bid or last
    ask = ticker.ask or last
    if not (bid and ask and last):
        raise ExchangeError(f"{ctx.symbol}: the exchange reported no price")
    # A venue that dates its ticker runs the market clock (the simulated exchange, the demo's
    # accelerated one); a real exchange may not date it (ccxt reads no time from Bybit's rows):
    # its market time is the wall clock.
    market_ms = to_ms(ticker.timestamp) if ticker.timestamp else (state.wall_ms or state.market_ms)
    # A new bot reads from an hour before its first step (nothing earlier is its own);
    # afterwards from REREAD_MS before the cursor, so a late fill is not missed.
    if not state.fills_cursor_ms:
        state.fills_cursor_ms = max(0, market_ms - FIRST_READ_MS)
    if not state.ledger_cursor_ms:
        state.ledger_cursor_ms = max(0, market_ms - FIRST_READ_MS)
    fills = await port.fetch_fills(from_ms(max(0, state.fills_cursor_ms - REREAD_MS)), ctx.symbol)
    # every currency's ledger: the funds rules watch non-base moves too (F2); read from the
    # cursor's own millisecond, whose entries already read are known by id (ledger_seen)
    ledger = await port.fetch_ledger(from_ms(state.ledger_cursor_ms), None)
    return Snapshot(balance, positions, open_orders, fills, bid, ask, last, market_ms, ledger)


async def _positions(ctx: BotContext, port: ExchangePort) -> dict[str, tuple[Decimal, Decimal]]:
    """Side -> (size in strategy units, entry price) of the bot's market."""
    positions: dict[str, tuple[Decimal, Decimal]] = {}
    for pos in await port.fetch_positions([ctx.symbol]):
        if pos.symbol != ctx.symbol or pos.size <= 0:
            continue
        side = "long" if pos.side is PositionSide.LONG else "short"
        positions[side] = (pos.size * ctx.contract_size, pos.entry_price or ZERO)
    return positions


async def reconcile(ctx: BotContext, port: ExchangePort, state: StepState, snap: Snapshot,
                    result: StepResult) -> None:
    by_cid = {o.client_order_id: o for o in state.orders}
    exchange_open = {o.client_order_id: o for o in snap.open_orders if o.client_order_id}
    for rec in state.open_records():
        report = exchange_open.get(rec.client_order_id)
        if report is None:
            result.lookups += 1
            try:
                report = await port.fetch_order_by_client_id(ctx.symbol, rec.client_order_id)
            except ExchangeError as exc:
                log.info("look-up of %s failed: %s", rec.client_order_id, exc)
                continue  # unknown for now: try again next step
        apply_lookup(state, rec, report)
    # open orders that no live record explains
    for o in snap.open_orders:
        rec = by_cid.get(o.client_order_id or "")
        if rec is not None and not rec.terminal:
            continue
        oid = decode(o.client_order_id)
        seen_ours(ctx, state, oid)
        if oid is not None and oid.bot == ctx.number:
            stray = rec or OrderRecord(o.client_order_id or "", oid.side, oid.kind, oid.level, oid.cycle,
                                       oid.version, o.side is Side.BUY, o.price or ZERO,
                                       (o.amount or ZERO) * ctx.contract_size, oid.kind == "take_profit",
                                       state="open", exchange_order_id=o.id, filled=(o.filled or ZERO) * ctx.contract_size)
            memo = state.sides.get(oid.side)
            if rec is None:
                state.orders.append(stray)
                by_cid[stray.client_order_id] = stray
                state.events.append(EngineEvent("adopted", {"what": "order", "client_order_id": stray.client_order_id}))
                if memo is not None and oid.cycle >= memo.cycle:
                    # ours, of the running cycle, unknown to the database (sent after the backup it
                    # was restored from, or its record lost): a live order again; the diff keeps
                    # it when it is still wanted
                    continue
            await _cancel(ctx, port, state, stray, result, stray=True)
        elif not any(e.data.get("order_id") == o.id for e in state.events):
            state.events.append(EngineEvent("foreign_activity", {
                "what": "open order", "order_id": o.id, "client_order_id": o.client_order_id or "",
                "side": o.side.value if o.side else "", "price": str(o.price), "qty": str(o.amount)}))
    for fill in sorted(snap.fills, key=lambda f: (f.timestamp is None, f.timestamp or 0, f.id)):
        before = len(state.new_fills)
        adopt_fill(ctx, state, fill, by_cid)
        result.fills += len(state.new_fills) - before
        if ctx.spot and len(state.new_fills) > before:
            spot_position(ctx, state, state.new_fills[-1])
    # per side: cycles, the exchange's position adopted
    positions = snap.positions
    closes = {name: m.closed or _closed_by_us(state, name, m.cycle) for name, m in state.sides.items()}
    if not ctx.spot and any(positions.get(name, (ZERO,))[0] > 0 and closed for name, closed in closes.items()):
        # the position was read before the fills, and our take-profit filled in between: read
        # it again, now that the fill is known. Left stale, the close was known this step and
        # forgotten by the next, which found the side flat and took it for a stranger's close.
        positions = await _positions(ctx, port)
    for name, memo in state.sides.items():
        size, entry = positions.get(name, (ZERO, ZERO))
        if ctx.spot:
            size, entry = memo.size, memo.entry_price or ZERO
        closed = closes[name]
        if size <= 0 and (memo.size > 0 or closed):
            if not closed:
                state.events.append(EngineEvent("foreign_activity", {
                    "what": "position closed", "side": name, "size": str(memo.size)}))
            memo.cycle += 1
            memo.dca_count = 0
            memo.cycle_balance = None
            memo.params_version = None  # the next cycle runs the bot's version of then
            memo.closed = False
        elif size > 0 and memo.size > 0 and size != memo.size and not explained(state, name):
            state.events.append(EngineEvent("adopted", {
                "what": "position", "side": name, "ours": str(memo.size), "exchange": str(size)}))
        elif size <= 0 and memo.dca_count == 0 and memo.cycle_balance is not None \
                and not entry_live(state, name, memo.cycle):
            # the cycle's entry never filled and rests no more (a pause cancelled it): the cycle
            # has not begun, so its entry is sized again from the balance of when it is sent (E2:
            # a withdrawal made meanwhile counts), with the version of then
            memo.cycle_balance = None
            memo.params_version = None
        memo.size, memo.entry_price = size, (entry if size > 0 else None)
    # a quiet bot's cursor follows the market, so its reads stay one short window
    state.fills_cursor_ms = max(state.fills_cursor_ms, snap.market_ms - REREAD_MS)
    for entry in sorted(snap.ledger, key=lambda e: to_ms(e.timestamp) if e.timestamp else 0):
        ms = to_ms(entry.timestamp) if entry.timestamp else 0
        key = entry.id or f"{entry.kind.value}:{entry.currency}:{entry.amount}:{ms}"
        if ms < state.ledger_cursor_ms or (ms == state.ledger_cursor_ms and key in state.ledger_seen):
            continue
        if ms > state.ledger_cursor_ms:
            state.ledger_cursor_ms, state.ledger_seen = ms, set()
        state.ledger_seen.add(key)
        if entry.kind in (LedgerKind.DEPOSIT, LedgerKind.WITHDRAWAL, LedgerKind.TRANSFER):
            # funds moved in or out: it changes the exposure cap now and the next cycle's size (E2)
            data = {"kind": entry.kind.value, "currency": entry.currency or "", "amount": str(entry.amount),
                    "exchange_type": entry.exchange_type or "", "id": entry.id or ""}
            if entry.balance_after is not None:
                data["balance_after"] = str(entry.balance_after)
            state.events.append(EngineEvent("deposit", data))
        elif entry.kind is LedgerKind.FUNDING and entry.symbol in (None, ctx.symbol):
            state.events.append(EngineEvent("funding", funding_event(ctx, state, entry, ms, snap.last)))
    balance = snap.balance
    if ctx.spot_in_coin:  # B is the coin plus the USDT its sales hold, at cost: selling is not a loss
        balance += sum((m.size / m.entry_price for m in state.sides.values() if m.entry_price), ZERO)
    elif ctx.spot:  # B is cash plus the bot's coins at cost: buying coins is not a loss
        balance += sum((m.size * (m.entry_price or ZERO) for m in state.sides.values()), ZERO)
    state.balance, state.last_price, state.market_ms = balance, snap.last, max(state.market_ms, snap.market_ms)
    state.orders = [o for o in state.orders if not (o.terminal and not o.dirty)]


def _closed_by_us(state: StepState, side: str, cycle: int) -> bool:
    """This step read a fill of the running cycle's take-profit: once the side is flat, our own
    close, even when no record says so (its look-up failed this step, or a restored database
    never recorded the order), never a stranger's."""
    return any(f.side == side and f.kind == "take_profit" and f.cycle == cycle and not f.foreign
               for f in state.new_fills)


def _side_inputs(ctx: BotContext, state: StepState) -> list[SideInput]:
    names: list[SideName] = [n for n in ("long", "short") if n in state.sides]
    return [SideInput(n, state.sides[n].size, state.sides[n].entry_price or ZERO, state.sides[n].dca_count,
                      state.sides[n].cycle_balance) for n in names]


def _record(ctx: BotContext, state: StepState, want: Desired) -> OrderRecord:
    memo = state.sides[want.side]
    if want.kind == "entry" and memo.cycle_balance is None:
        memo.cycle_balance = state.balance  # E2: every entry of this cycle is sized from this balance
    if memo.params_version is None:
        memo.params_version = ctx.version  # the cycle runs the version it began with
    version = memo.next_version()
    cid = encode(OrderId(bot=ctx.number, cycle=memo.cycle, side=want.side, kind=want.kind,
                         level=want.level, version=version))
    return OrderRecord(cid, want.side, want.kind, want.level, memo.cycle, version, want.buy, want.price,
                       want.qty, want.reduce_only)


def _in_coin(want: Desired) -> Desired:
    """A coin-base spot order as the exchange takes it: its quote size in the coin (exact:
    the plan rounded it to ``lots x price``)."""
    return replace(want, qty=want.qty / want.price)


def _entry_sent(state: StepState, rec: OrderRecord) -> bool:
    return any(o is not rec and o.side == rec.side and o.kind == "entry" and o.cycle == rec.cycle
               and o.detail != "not sent" for o in state.orders)


def _request(ctx: BotContext, rec: OrderRecord) -> OrderRequest:
    amount = rec.qty / ctx.contract_size
    # spot has no reduce-only orders: its take-profit is a plain post-only sell of the coins
    # bought (coin base: a post-only buy-back with the USDT its sales hold)
    return OrderRequest(symbol=ctx.symbol, side=Side.BUY if rec.buy else Side.SELL, amount=amount,
                        price=rec.price, client_order_id=rec.client_order_id,
                        post_only=ctx.spot or not rec.reduce_only, reduce_only=rec.reduce_only and not ctx.spot,
                        position_side=(PositionSide.LONG if rec.side == "long" else PositionSide.SHORT)
                        if ctx.hedge else None)


async def _cancel(ctx: BotContext, port: ExchangePort, state: StepState, rec: OrderRecord,
                  result: StepResult, stray: bool = False) -> bool:
    result.cancels += 1
    try:
        await port.cancel_order(ctx.symbol, client_order_id=rec.client_order_id)
    except OrderNotFoundError:
        return False  # filled or gone meanwhile: the next reconcile says which
    except ExchangeError as exc:
        log.info("cancel of %s failed: %s", rec.client_order_id, exc)
        return False
    if not rec.terminal:
        rec.state, rec.dirty = "canceled", True
        if stray:
            rec.detail = "stray order cancelled"
        settle(state, rec, False)
    return True


async def _create(ctx: BotContext, port: ExchangePort, state: StepState, rec: OrderRecord,
                  result: StepResult) -> bool:
    """Send one recorded order; returns True when it filled (partly or fully) at once."""
    result.creates += 1
    try:
        report: Order | None = await port.create_order(_request(ctx, rec))
    except DuplicateClientOrderIdError:  # it exists: what is it now?
        try:
            report = await port.fetch_order_by_client_id(ctx.symbol, rec.client_order_id)
        except ExchangeError:
            return False
        if report is None:
            return False
    except (InvalidOrderError, InsufficientFundsError) as exc:
        rec.state, rec.detail, rec.dirty = "rejected", str(exc)[:200], True
        settle(state, rec, False)
        return False
    except ExchangeError as exc:
        log.info("create of %s: outcome unknown (%s), looked up next step", rec.client_order_id, exc)
        return False  # stays pending: never re-sent blind
    apply_lookup(state, rec, report)
    rec.dirty = True
    if rec.state == "pending":
        rec.state = "open"
    return rec.filled > 0


async def trade(ctx: BotContext, port: ExchangePort, store: Store, state: StepState,
                result: StepResult) -> bool:
    """Plan, diff, record, send. Returns True when a create filled at once (plan again)."""
    wanted: list[Desired] = []
    small: list[Desired] = []
    by_params: dict[int, tuple[Params, list[SideInput]]] = {}
    for side in _side_inputs(ctx, state):  # each side plans with its cycle's version
        params = ctx.params_of(state.sides[side.side])
        by_params.setdefault(id(params), (params, []))[1].append(side)
    for params, inputs in by_params.values():
        w, sm = plan_orders(params, ctx.precision, inputs, balance=state.balance or ZERO, bid=state.bid or ZERO,
                            ask=state.ask or ZERO, open_new=state.open_new)
        if ctx.spot_in_coin:  # planned in quote, traded in the coin: a whole number of lots
            w, sm = [_in_coin(d) for d in w], [_in_coin(d) for d in sm]
        wanted += w
        small += sm
    state.below_minimum = len(small)
    if any(d.kind == "entry" for d in small) and state.open_new:
        state.attention = "balance below the market minimum"
    cycles = {n: m.cycle for n, m in state.sides.items()}
    cancels, creates = diff(wanted, state.orders, cycles=cycles, open_new=state.open_new)
    freed: set[tuple[str, str, int]] = set()
    for rec in cancels:
        if await _cancel(ctx, port, state, rec, result):
            freed.add(rec.slot)
    replaced = {rec.slot for rec in cancels}
    new = [_record(ctx, state, w) for w in creates if w.slot not in replaced or w.slot in freed]
    state.orders.extend(new)
    await store.commit(ctx, state)  # recorded before sending
    for i, rec in enumerate(new):
        state.sends += 1
        if await _create(ctx, port, state, rec, result):
            # the state changed: plan again from a fresh snapshot; the rest was never sent
            for unsent in new[i + 1:]:
                unsent.state, unsent.detail, unsent.dirty = "canceled", "not sent", True
                if unsent.kind == "entry" and not _entry_sent(state, unsent):
                    # its cycle starts with the balance (and version) of the round that sends its entry
                    state.sides[unsent.side].cycle_balance = None
                    state.sides[unsent.side].params_version = None
            return True
    return await _filled_unseen(ctx, port, new)


async def _filled_unseen(ctx: BotContext, port: ExchangePort, sent: list[OrderRecord]) -> bool:
    """Did an order just sent fill at once without its create saying so?

    Bybit's create answers only the ids, so an order that filled at once (it crossed, or, in
    the venue's parity profile, sits at the last close) looks "open" here. One read of the open
    orders tells: an order sent as open and not resting has filled (or was cancelled), and the
    step plans again from a fresh snapshot, as it does when the create reports the fill."""
    waiting = {r.client_order_id for r in sent if r.state == "open" and r.filled == 0}
    if not waiting:
        return False
    try:
        resting = {o.client_order_id for o in await port.fetch_open_orders(ctx.symbol)}
    except ExchangeError:
        return False  # the next step's snapshot tells
    return bool(waiting - resting)


async def run_step(ctx: BotContext, port: ExchangePort, store: Store, state: StepState) -> StepResult:
    result = StepResult()
    while result.rounds < MAX_ROUNDS:
        result.rounds += 1
        snap = await read_snapshot(ctx, port, state)
        await reconcile(ctx, port, state, snap, result)
        state.bid, state.ask = snap.bid, snap.ask
        if state.status not in ("live", "paused", "needs_attention"):
            break
        if not await trade(ctx, port, store, state, result):
            break
    return result

"""Reconcile: our order records against what the exchange reports. Pure.

The exchange is the source of truth. Rules (a Hypothesis state machine checks them):

- a terminal record (filled, cancelled, rejected) stays terminal, whatever arrives later;
  an order the exchange still shows open for a terminal record is a stray and gets cancelled;
- ``filled`` never decreases (reports and fills can arrive out of order);
- a record the exchange does not show is looked up by its client id before anything is
  concluded; only after ``MAX_LOOKUPS`` look-ups that find nothing is a pending order taken
  as never received (rejected) and an open one as lost (cancelled, with an event);
- a report's status maps: open/partially filled -> open; filled -> filled;
  cancelled/expired -> cancelled (keeping what filled); rejected -> rejected.

Below those rules: what fills, look-ups and the ledger tell a bot's sides (their size, DCA
count, cycle close, id sequence), used by ``sequence.engine.runner``'s reconcile.
"""

from __future__ import annotations

from decimal import Decimal

from sequence.core.clock import to_ms
from sequence.core.precision import ZERO
from sequence.engine.ids import OrderId, decode
from sequence.engine.model import BotContext, EngineEvent, FillRecord, OrderRecord, StepState
from sequence.exchanges.domain import Fill, LedgerEntry, OrderStatus, Side
from sequence.exchanges.domain import Order as ExchangeOrder

__all__ = ["MAX_LOOKUPS", "adopt_fill", "apply_lookup", "apply_report", "counts_in_k", "entry_live", "explained",
           "funding_event", "seen_ours", "settle", "spot_position", "unrecorded_fill"]

MAX_LOOKUPS = 3


def apply_report(rec: OrderRecord, report: ExchangeOrder | None) -> EngineEvent | None:
    """Bring ``rec`` up to date with the exchange's report on it (None: not found)."""
    if report is None:
        if rec.terminal:
            return None
        rec.lookups += 1
        rec.dirty = True
        if rec.lookups < MAX_LOOKUPS:
            return None
        if rec.state == "pending":
            rec.state, rec.detail = "rejected", "never reached the exchange"
            return None
        rec.state, rec.detail = "canceled", "not found on the exchange"
        return EngineEvent("order_lost", {"client_order_id": rec.client_order_id, "filled": str(rec.filled)})
    filled = report.filled if report.filled is not None else Decimal(0)
    if filled > rec.filled:
        rec.filled = filled
        rec.dirty = True
    if report.id and rec.exchange_order_id != report.id:
        rec.exchange_order_id = report.id
        rec.dirty = True
    if rec.lookups:
        rec.lookups = 0
        rec.dirty = True
    if rec.terminal:
        return None
    status = report.status
    new = {OrderStatus.OPEN: "open", OrderStatus.FILLED: "filled", OrderStatus.CANCELED: "canceled",
           OrderStatus.EXPIRED: "canceled", OrderStatus.REJECTED: "rejected"}.get(status, rec.state)
    if new == "open" and rec.filled >= rec.qty:
        new = "filled"
    if new != rec.state:
        rec.state = new
        rec.dirty = True
    return None


def counts_in_k(rec: OrderRecord) -> bool:
    """A DCA level counts once it is full, or once its remainder is cancelled."""
    return rec.kind == "dca" and (rec.state == "filled" or (rec.terminal and rec.filled > 0))


def seen_ours(ctx: BotContext, state: StepState, oid: OrderId | None) -> None:
    """An id of ours the exchange knows: the side's next ids come after it. After a restore
    from a backup (or any lost write) the stored sequence may lag what was sent; a new order
    must never reuse an id the exchange already has (OKX would accept it again: two orders
    under one id).

    Likewise its cycle: an order of ours of a later cycle than the stored one means the side
    closed its stored cycle and began that one (the lost platform traded on after the backup
    the database comes from). The side moves to it, flat until this step's fills and the
    exchange's position say otherwise; left behind, the later cycle's take-profit fill would
    read as an older cycle's and its close as a stranger's."""
    if oid is None or oid.bot != ctx.number:
        return
    memo = state.sides.get(oid.side)
    if memo is None:
        return
    if oid.version > memo.order_seq:
        memo.order_seq = oid.version
    if oid.cycle > memo.cycle:
        state.events.append(EngineEvent("adopted", {"what": "cycle", "side": oid.side, "ours": memo.cycle,
                                                    "exchange": oid.cycle}))
        memo.cycle, memo.dca_count, memo.closed = oid.cycle, 0, False
        memo.size, memo.entry_price = ZERO, None
        memo.cycle_balance = None  # its entry's balance is not known here: B sizes the rest (plan)
        memo.params_version = None


def unrecorded_fill(state: StepState, oid: OrderId) -> None:
    """A fill of an order of ours the database never recorded (sent after a backup restored
    since): what the record would have told the side. A DCA level counts as filled; a
    take-profit's fill closes the cycle as any of ours does (``runner._closed_by_us``)."""
    memo = state.sides.get(oid.side)
    if memo is None or oid.cycle != memo.cycle:
        return
    if oid.kind == "dca":
        memo.dca_count = max(memo.dca_count, oid.level)


def adopt_fill(ctx: BotContext, state: StepState, fill: Fill, by_cid: dict[str, OrderRecord]) -> None:
    if fill.id in state.known_trades:
        return
    state.known_trades.add(fill.id)
    rec = by_cid.get(fill.client_order_id or "")
    oid = decode(fill.client_order_id)
    seen_ours(ctx, state, oid)
    if rec is None and oid is not None and oid.bot == ctx.number:
        unrecorded_fill(state, oid)
    foreign = rec is None and (oid is None or oid.bot != ctx.number)
    buy = fill.side is Side.BUY if fill.side is not None else False
    ms = to_ms(fill.timestamp) if fill.timestamp else state.market_ms
    state.new_fills.append(FillRecord(
        trade_id=fill.id, client_order_id=fill.client_order_id or "",
        side=rec.side if rec else (oid.side if oid else ""), kind=rec.kind if rec else (oid.kind if oid else ""),
        level=rec.level if rec else (oid.level if oid else 0), cycle=rec.cycle if rec else (oid.cycle if oid else 0),
        buy=buy, price=fill.price, qty=fill.amount * ctx.contract_size, fee=fill.fee,
        fee_currency=fill.fee_currency or "", foreign=foreign, executed_ms=ms))
    if foreign:
        state.events.append(EngineEvent("foreign_activity", {
            "what": "fill", "trade_id": fill.id, "side": "buy" if buy else "sell",
            "price": str(fill.price), "qty": str(fill.amount), "client_order_id": fill.client_order_id or ""}))
    state.fills_cursor_ms = max(state.fills_cursor_ms, ms)


def funding_event(ctx: BotContext, state: StepState, entry: LedgerEntry, ms: int, price: Decimal) -> dict[str, str | int]:
    """A funding payment of this bot's market, as the portfolio counts it: the side whose
    position paid (or received) it as the venue says, else the one side holding a position
    (a one-way account holds one), else "" (not known); the price to value it at in the other
    currency (the market's, at the step that read it)."""
    side = entry.position_side.value if entry.position_side is not None else ""
    source = "exchange" if side else ""
    if not side:
        held = [name for name, memo in state.sides.items() if memo.size > 0]
        if len(held) == 1:
            side, source = held[0], "position"
    return {"amount": str(entry.amount), "currency": entry.currency or "", "side": side, "side_from": source,
            "id": entry.id or "", "ms": ms, "symbol": entry.symbol or ctx.symbol, "price": str(price)}


def apply_lookup(state: StepState, rec: OrderRecord, report: ExchangeOrder | None) -> None:
    """Apply an exchange report to a record, and account for it if it just ended."""
    was_terminal = rec.terminal
    event = apply_report(rec, report)
    if event is not None:
        state.events.append(event)
    settle(state, rec, was_terminal)


def settle(state: StepState, rec: OrderRecord, was_terminal: bool) -> None:
    """The one place an order's end counts: k (a DCA level full, or its remainder cancelled)
    and the cycle's close (its take-profit filled)."""
    if was_terminal or not rec.terminal:
        return
    memo = state.sides.get(rec.side)
    if memo is None or rec.cycle != memo.cycle:
        return
    if counts_in_k(rec):
        memo.dca_count += 1
    if rec.kind == "take_profit" and rec.state == "filled":
        memo.closed = True


def spot_position(ctx: BotContext, state: StepState, fill: FillRecord) -> None:
    """Spot has no position on the exchange: the side's size comes from this bot's own fills
    (others' fills count for nothing: a client's own coins are not the bot's position).

    USDT base (the long side): the size is the coin its fills bought, net of fees charged in
    the coin, less what its fills sold; the entry is the buys' average price.

    Coin base (the short side, strategy units in quote): the size is the USDT its fills sold
    the coin for, net of fees charged in USDT (the venue's sell fee), less the USDT its
    buy-backs spent; the entry is the harmonic average ``(q + c p) / (q/a + c)`` of the sales,
    so ``q / a`` is the coin the USDT held cost. Example: sell 0.01 BTC at 20000 with a 0.02 %
    fee: q = 200 - 0.04 = 199.96 USDT, a = 20000, held at cost 0.009998 BTC.
    """
    if fill.foreign:
        return
    memo = state.sides.get(fill.side)
    if memo is None or fill.cycle < memo.cycle:
        return  # an ended cycle's fill (read after the side moved on to a later one: ``seen_ours``)
    base, _, quote = ctx.symbol.partition("/")
    fee = fill.fee if fill.fee is not None else ZERO
    fee_in_coin = fee if fill.fee_currency.upper() == base.upper() else ZERO
    if ctx.spot_in_coin:
        fee_in_quote = fee if fill.fee_currency.upper() == quote.split(":")[0].upper() else ZERO
        gross = fill.qty * fill.price
        held = memo.size
        if not fill.buy:  # a sale opens or adds
            memo.entry_price = (held + gross) / (held / memo.entry_price + fill.qty) \
                if held > 0 and memo.entry_price else fill.price
            memo.size = held + gross - fee_in_quote
            return
        memo.size = max(ZERO, held - gross - fee_in_quote)
        if ctx.precision.lot and memo.size < ctx.precision.lot * fill.price:
            memo.size = ZERO  # USDT that buys less than one lot back is dust: the cycle is over
        if memo.size == 0:
            memo.entry_price = None
        return
    if fill.buy:
        held = memo.size
        memo.entry_price = (held * (memo.entry_price or ZERO) + fill.qty * fill.price) / (held + fill.qty)
        memo.size = held + fill.qty - fee_in_coin
    else:
        memo.size = max(ZERO, memo.size - fill.qty - fee_in_coin)
        if ctx.precision.lot and memo.size < ctx.precision.lot:
            memo.size = ZERO  # dust below one lot cannot be sold: the cycle is over
        if memo.size == 0:
            memo.entry_price = None


def entry_live(state: StepState, side: str, cycle: int) -> bool:
    return any(o.side == side and o.kind == "entry" and o.cycle == cycle and o.state in ("pending", "open")
               for o in state.orders)


def explained(state: StepState, side: str) -> bool:
    """Did this step see a fill of ours on that side (which explains a size change)?"""
    return any(f.side == side and not f.foreign for f in state.new_fills)

"""The engine's store: :class:`sequence.engine.model.StepState` to and from rows, with the ORM.

Built for thousands of bots per process: a quiet step (nothing filled, nothing to change)
costs four reads and one write plus the next step's job. Rows of one bot are only ever
written by that bot's step, and two steps of one bot never run at once (the job lock
``bot:{id}``), so no row lock is taken here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from sequence.core.clock import from_ms
from sequence.engine.model import BotContext, FillRecord, OrderRecord, SideMemo, StepState
from sequence.trading.models import Bot, BotEngine, BotSide, EngineEvent, Fill, Order
from sequence.trading.statuses import BotStatus, OrderState

ORDER_FIELDS = ["state", "exchange_order_id", "filled", "lookups", "detail", "updated_at"]
SIDE_FIELDS = ["cycle", "cycle_balance", "size", "entry_price", "dca_count", "order_seq"]
LIVE_ORDER_STATES = (OrderState.PENDING, OrderState.OPEN)
REREAD_MS = 2 * 300_000  # twice the engine's re-read window (runner.REREAD_MS)


@dataclass(slots=True)
class Loaded:
    """A step's state plus what the store needs to write it back cheaply."""

    state: StepState
    sides_before: dict[str, tuple]
    cursors_before: tuple
    last_wall_ms: int
    last_market_ms: int
    speed: float
    # what this step saved, for the step monitors (trading.hooks) at its end
    saved_events: list = field(default_factory=list)
    saved_fills: list = field(default_factory=list)


def _side_sig(m: SideMemo) -> tuple:
    return (m.cycle, m.cycle_balance, m.size, m.entry_price, m.dca_count, m.order_seq)


def ensure_rows(bot_id, side_names: list[str]) -> None:
    BotEngine.objects.get_or_create(bot_id=bot_id)
    for name in side_names:
        BotSide.objects.get_or_create(bot_id=bot_id, side=name)


def load_state(bot_id, status: str, pause_reasons: list[str]) -> Loaded:
    engine = BotEngine.objects.filter(bot_id=bot_id).values(
        "fills_cursor_ms", "ledger_cursor_ms", "last_market_ms", "last_wall_ms", "market_speed").first()
    # values_list, not model instances: the hot path of thousands of steps a minute
    sides = {row[0]: SideMemo(*row) for row in BotSide.objects.filter(bot_id=bot_id).values_list(
        "side", "cycle", "cycle_balance", "size", "entry_price", "dca_count", "order_seq")}
    orders = [
        OrderRecord(*row, dirty=False, new=False)
        for row in Order.objects.filter(bot_id=bot_id, state__in=LIVE_ORDER_STATES).values_list(
            "client_order_id", "side", "kind", "level", "cycle", "version", "buy", "price", "qty",
            "reduce_only", "state", "exchange_order_id", "filled", "lookups", "detail")
    ]
    # Fills are read again from REREAD_MS before the cursor (an exchange may deliver a fill late,
    # dated before one already read); the trade ids of that window say which are known.
    since = from_ms(max(0, engine["fills_cursor_ms"] - REREAD_MS))
    known = set(Fill.objects.filter(bot_id=bot_id, executed_at__gte=since).values_list("trade_id", flat=True))
    open_new = status == BotStatus.LIVE and not pause_reasons
    state = StepState(status=status, open_new=open_new, sides=sides, orders=orders,
                      fills_cursor_ms=engine["fills_cursor_ms"], ledger_cursor_ms=engine["ledger_cursor_ms"],
                      known_trades=known, market_ms=engine["last_market_ms"])
    return Loaded(state, {n: _side_sig(m) for n, m in sides.items()},
                  (engine["fills_cursor_ms"], engine["ledger_cursor_ms"]), engine["last_wall_ms"],
                  engine["last_market_ms"], engine["market_speed"])


def save_state(bot_id, ctx: BotContext, state: StepState, loaded: Loaded | None = None) -> None:
    """Write what the step changed (only that): orders, fills, events, sides."""
    if not (any(o.dirty for o in state.orders) or state.new_fills or state.events
            or loaded is None or any(_side_sig(m) != loaded.sides_before.get(n) for n, m in state.sides.items())):
        return
    with transaction.atomic():
        _save(bot_id, state, loaded)


def _save(bot_id, state: StepState, loaded: Loaded | None) -> None:
    now = timezone.now()
    new = [o for o in state.orders if o.new]
    if new:
        Order.objects.bulk_create([
            Order(bot_id=bot_id, client_order_id=o.client_order_id, side=o.side, kind=o.kind, level=o.level,
                  cycle=o.cycle, version=o.version, buy=o.buy, price=o.price, qty=o.qty,
                  reduce_only=o.reduce_only, state=o.state, exchange_order_id=o.exchange_order_id,
                  filled=o.filled, lookups=o.lookups, detail=o.detail[:200], created_at=now, updated_at=now)
            for o in new])
    changed = [o for o in state.orders if o.dirty and not o.new]
    if changed:
        rows = {r.client_order_id: r for r in Order.objects.filter(
            bot_id=bot_id, client_order_id__in=[o.client_order_id for o in changed])}
        for o in changed:
            row = rows.get(o.client_order_id)
            if row is not None:
                row.state, row.exchange_order_id, row.filled = o.state, o.exchange_order_id, o.filled
                row.lookups, row.detail, row.updated_at = o.lookups, o.detail[:200], now
        Order.objects.bulk_update(list(rows.values()), ORDER_FIELDS)
    for o in state.orders:
        o.dirty = o.new = False
    if state.new_fills:
        _save_fills(bot_id, state.new_fills)
        if loaded is not None:
            loaded.saved_fills.extend(state.new_fills)
        state.new_fills = []
    if state.events:
        EngineEvent.objects.bulk_create([EngineEvent(bot_id=bot_id, kind=e.kind, data=e.data)
                                         for e in state.events])
        if loaded is not None:
            loaded.saved_events.extend(state.events)
        state.events = []
    changed_sides = [m for n, m in state.sides.items()
                     if loaded is None or _side_sig(m) != loaded.sides_before.get(n)]
    for m in changed_sides:
        BotSide.objects.filter(bot_id=bot_id, side=m.side).update(
            cycle=m.cycle, cycle_balance=m.cycle_balance, size=m.size, entry_price=m.entry_price,
            dca_count=m.dca_count, order_seq=m.order_seq)
        if loaded is not None:
            loaded.sides_before[m.side] = _side_sig(m)


def _save_fills(bot_id, fills: list[FillRecord]) -> None:
    orders = dict(Order.objects.filter(bot_id=bot_id, client_order_id__in=[f.client_order_id for f in fills
                                                                           if f.client_order_id])
                  .values_list("client_order_id", "id"))
    Fill.objects.bulk_create([
        Fill(bot_id=bot_id, trade_id=f.trade_id, order_id=orders.get(f.client_order_id),
             client_order_id=f.client_order_id, side=f.side, kind=f.kind, level=f.level, cycle=f.cycle,
             buy=f.buy, price=f.price, qty=f.qty, fee=f.fee, fee_currency=f.fee_currency, foreign=f.foreign,
             executed_at=from_ms(f.executed_ms))
        for f in fills], ignore_conflicts=True)


def end_step(bot_id, ctx: BotContext | None, state: StepState, loaded: Loaded, *, wall_ms: int,
             error: str = "") -> float:
    """The step's last write: its changes, cursors, the learned market speed. Returns the speed."""
    if ctx is not None:
        save_state(bot_id, ctx, state, loaded)
    speed = loaded.speed
    if loaded.last_wall_ms and wall_ms > loaded.last_wall_ms and state.market_ms > loaded.last_market_ms > 0:
        observed = (state.market_ms - loaded.last_market_ms) / (wall_ms - loaded.last_wall_ms)
        speed = min(10_000.0, max(1.0, 0.5 * speed + 0.5 * observed))
    BotEngine.objects.filter(bot_id=bot_id).update(
        steps=F("steps") + 1, last_step_at=timezone.now(), last_wall_ms=wall_ms, market_speed=speed,
        last_market_ms=state.market_ms, fills_cursor_ms=state.fills_cursor_ms,
        ledger_cursor_ms=state.ledger_cursor_ms, balance=state.balance,
        balance_currency=ctx.base_currency if ctx else "", last_price=state.last_price,
        last_error=error[:500], consecutive_errors=(F("consecutive_errors") + 1) if error else 0)
    return speed


def bot_flags(bot_id) -> dict | None:
    return Bot.objects.filter(pk=bot_id).values("status", "pause_reasons", "launched_at", "number",
                                                "strategy_version_id", "credential_id").first()


def mark_all_canceled(bot_id) -> int:
    return Order.objects.filter(bot_id=bot_id, state__in=LIVE_ORDER_STATES).update(
        state=OrderState.CANCELED, detail="bot stopped", updated_at=timezone.now())


"""The engine's store: :class:`sequence.engine.model.StepState` to and from rows, with the ORM.

Each method is one transaction. Rows of one bot are only ever written by that bot's step,
and two steps of one bot never run at once (the job lock ``bot:{id}``), so no row lock is
needed here beyond the bot row the finishing transaction reads.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from sequence.core.clock import from_ms
from sequence.engine.model import BotContext, FillRecord, OrderRecord, SideMemo, StepState
from sequence.trading.models import Bot, BotEngine, BotSide, EngineEvent, Fill, Order
from sequence.trading.statuses import BotStatus, OrderState

ORDER_FIELDS = ["state", "exchange_order_id", "filled", "lookups", "detail", "updated_at"]
SIDE_FIELDS = ["cycle", "cycle_balance", "size", "entry_price", "dca_count", "order_seq"]


def load_state(bot: Bot) -> StepState:
    engine, _ = BotEngine.objects.get_or_create(bot=bot)
    sides = {s.side: SideMemo(s.side, s.cycle, s.cycle_balance, s.size, s.entry_price, s.dca_count, s.order_seq)
             for s in BotSide.objects.filter(bot=bot)}
    orders = [
        OrderRecord(o.client_order_id, o.side, o.kind, o.level, o.cycle, o.version, o.buy, o.price, o.qty,
                    o.reduce_only, o.state, o.exchange_order_id, o.filled, o.lookups, o.detail,
                    dirty=False, new=False)
        for o in Order.objects.filter(bot=bot).exclude(state__in=(OrderState.FILLED, OrderState.CANCELED,
                                                                   OrderState.REJECTED))
    ]
    recent = from_ms(max(0, engine.fills_cursor_ms - 60_000))
    known = set(Fill.objects.filter(bot=bot, executed_at__gte=recent).values_list("trade_id", flat=True))
    open_new = bot.status == BotStatus.LIVE and not bot.pause_reasons
    return StepState(status=bot.status, open_new=open_new, sides=sides, orders=orders,
                     fills_cursor_ms=engine.fills_cursor_ms, ledger_cursor_ms=engine.ledger_cursor_ms,
                     known_trades=known, market_ms=engine.last_market_ms)


def ensure_sides(bot: Bot, names: list[str]) -> None:
    for name in names:
        BotSide.objects.get_or_create(bot=bot, side=name)


@transaction.atomic
def save_state(bot_id, ctx: BotContext, state: StepState) -> None:
    """Write what the step changed: orders, fills, events, sides, cursors."""
    now = timezone.now()
    new = [o for o in state.orders if o.new]
    if new:
        Order.objects.bulk_create([
            Order(bot_id=bot_id, client_order_id=o.client_order_id, side=o.side, kind=o.kind, level=o.level,
                  cycle=o.cycle, version=o.version, buy=o.buy, price=o.price, qty=o.qty,
                  reduce_only=o.reduce_only, state=o.state, exchange_order_id=o.exchange_order_id,
                  filled=o.filled, lookups=o.lookups, detail=o.detail, created_at=now, updated_at=now)
            for o in new])
    changed = [o for o in state.orders if o.dirty and not o.new]
    if changed:
        rows = {r.client_order_id: r for r in Order.objects.filter(
            bot_id=bot_id, client_order_id__in=[o.client_order_id for o in changed])}
        for o in changed:
            row = rows.get(o.client_order_id)
            if row is None:
                continue
            row.state, row.exchange_order_id, row.filled = o.state, o.exchange_order_id, o.filled
            row.lookups, row.detail, row.updated_at = o.lookups, o.detail[:200], now
        Order.objects.bulk_update(list(rows.values()), ORDER_FIELDS)
    for o in state.orders:
        o.dirty = o.new = False
    if state.new_fills:
        _save_fills(bot_id, state.new_fills)
        state.new_fills = []
    if state.events:
        EngineEvent.objects.bulk_create([EngineEvent(bot_id=bot_id, kind=e.kind, data=e.data)
                                         for e in state.events])
        state.events = []
    sides = {s.side: s for s in BotSide.objects.filter(bot_id=bot_id)}
    for name, memo in state.sides.items():
        row = sides.get(name)
        if row is not None:
            row.cycle, row.cycle_balance, row.size = memo.cycle, memo.cycle_balance, memo.size
            row.entry_price, row.dca_count, row.order_seq = memo.entry_price, memo.dca_count, memo.order_seq
    BotSide.objects.bulk_update(list(sides.values()), SIDE_FIELDS)
    BotEngine.objects.filter(bot_id=bot_id).update(
        fills_cursor_ms=state.fills_cursor_ms, ledger_cursor_ms=state.ledger_cursor_ms,
        balance=state.balance, balance_currency=ctx.base_currency, last_price=state.last_price,
        last_market_ms=state.market_ms)


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


def record_step_end(bot_id, *, wall_ms: int, market_ms: int, error: str = "") -> float:
    """Count the step, learn the market's speed (market ms per wall ms); returns the speed."""
    engine = BotEngine.objects.get(bot_id=bot_id)
    speed = engine.market_speed
    if engine.last_wall_ms and wall_ms > engine.last_wall_ms and market_ms > engine.last_market_ms > 0:
        observed = (market_ms - engine.last_market_ms) / (wall_ms - engine.last_wall_ms)
        speed = min(10_000.0, max(1.0, 0.5 * speed + 0.5 * observed))
    BotEngine.objects.filter(bot_id=bot_id).update(
        steps=engine.steps + 1, last_step_at=timezone.now(), last_wall_ms=wall_ms, market_speed=speed,
        last_error=error[:500], consecutive_errors=(engine.consecutive_errors + 1) if error else 0)
    return speed


def stale_pending(bot_id, older_than: timedelta) -> int:
    return Order.objects.filter(bot_id=bot_id, state=OrderState.PENDING,
                                created_at__lt=timezone.now() - older_than).count()


ZERO = Decimal(0)


def mark_all_canceled(bot_id) -> int:
    return Order.objects.filter(bot_id=bot_id, state__in=(OrderState.PENDING, OrderState.OPEN)).update(
        state=OrderState.CANCELED, detail="bot stopped", updated_at=timezone.now())

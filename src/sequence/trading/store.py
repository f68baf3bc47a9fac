"""The engine's store: :class:`sequence.engine.model.StepState` to and from rows.

Built for thousands of bots per process. A step costs **one read and one write**:

- :func:`load` reads the bot's flags, cursors, sides, live orders and the trade ids of the
  re-read window in one query, and takes the bot's step lock (a session advisory lock) in it;
- :func:`step_statements` and :func:`end_statements` build the step's writes (orders, fills,
  events, sides, cursors, the next step's job, the lock's release) as statements that
  :func:`execute` sends as one string. PostgreSQL runs a multi-statement string as one
  implicit transaction (Django's psycopg cursor binds parameters client-side, which allows
  several statements); inside the caller's ``atomic`` block it is part of that transaction.

Why SQL and not the ORM here: building ORM queries (``bulk_update``'s CASE expressions,
``update`` with ``F``) cost ten times the engine's own work per step
(``bench/engine_bench.py``). Everywhere else the ORM reads these tables. Rows of one bot are
written only by that bot's step, and two steps of one bot never run at once (the job lock
``bot:{id}`` and the advisory lock), so no row lock is taken here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection
from django.utils import timezone

from sequence.core.clock import from_ms
from sequence.engine.model import EngineEvent as Event
from sequence.engine.model import FillRecord, OrderRecord, SideMemo, StepState
from sequence.trading.models import Bot, BotEngine, BotSide, EngineEvent, Fill, Order
from sequence.trading.statuses import BotStatus, OrderState

LIVE_ORDER_STATES = (OrderState.PENDING, OrderState.OPEN)
STEPPING = (BotStatus.LIVE, BotStatus.PAUSED, BotStatus.NEEDS_ATTENTION)
REREAD_MS = 2 * 300_000  # twice the engine's re-read window (runner.REREAD_MS)
# Two steps of one bot never run at once, whatever runs on how many machines: besides the job
# lock (which a stalled-job requeue can release while the first step still runs), each step
# holds a PostgreSQL session advisory lock on the bot's number for its whole duration. A
# killed worker's connection closes and PostgreSQL releases its lock with it.
STEP_LOCK_SPACE = 0x5E90

T_BOT, T_ENGINE, T_SIDE = Bot._meta.db_table, BotEngine._meta.db_table, BotSide._meta.db_table
T_ORDER, T_FILL, T_EVENT = Order._meta.db_table, Fill._meta.db_table, EngineEvent._meta.db_table
Statement = tuple[str, list[Any]]


@dataclass(slots=True)
class Loaded:
    """A step's state plus what the store needs to write it back cheaply."""

    state: StepState
    sides_before: dict[str, tuple]
    last_wall_ms: int
    last_market_ms: int
    speed: float
    # what this step saved, for the step monitors (trading.hooks) at its end
    saved_events: list[Event] = field(default_factory=list)
    saved_fills: list[FillRecord] = field(default_factory=list)


def side_signature(m: SideMemo) -> tuple:
    return (m.cycle, m.cycle_balance, m.size, m.entry_price, m.dca_count, m.order_seq)


def _dec(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def ensure_rows(bot_id, side_names: list[str]) -> None:
    BotEngine.objects.get_or_create(bot_id=bot_id)
    for name in side_names:
        BotSide.objects.get_or_create(bot_id=bot_id, side=name)


_LOAD = f"""
SELECT b.status, b.pause_reasons, b.launched_at IS NOT NULL, b.number, b.strategy_version_id, b.credential_id,
       e.fills_cursor_ms, e.ledger_cursor_ms, e.last_market_ms, e.last_wall_ms, e.market_speed,
       (SELECT json_agg(json_build_array(s.side, s.cycle, s.cycle_balance::text, s.size::text,
                                         s.entry_price::text, s.dca_count, s.order_seq) ORDER BY s.side)
          FROM {T_SIDE} s WHERE s.bot_id = b.id),
       (SELECT json_agg(json_build_array(o.client_order_id, o.side, o.kind, o.level, o.cycle, o.version,
                                         o.buy, o.price::text, o.qty::text, o.reduce_only, o.state,
                                         o.exchange_order_id, o.filled::text, o.lookups, o.detail) ORDER BY o.id)
          FROM {T_ORDER} o WHERE o.bot_id = b.id AND o.state IN ('pending', 'open')),
       (SELECT array_agg(f.trade_id) FROM {T_FILL} f WHERE f.bot_id = b.id
           AND f.executed_at >= to_timestamp(GREATEST(0, e.fills_cursor_ms - %s) / 1000.0)),
       CASE WHEN b.status = ANY(%s) AND b.launched_at IS NOT NULL AND e.bot_id IS NOT NULL
            THEN pg_try_advisory_lock(%s, b.number::int) END
  FROM {T_BOT} b LEFT JOIN {T_ENGINE} e ON e.bot_id = b.id
 WHERE b.id = %s
"""


def load(bot_id) -> tuple[dict | None, Loaded | None]:
    """The bot's flags, and its state with the step lock held (``None``: not to step now).

    Flags are ``None`` for an unknown bot. The state is ``None`` when the bot does not step
    (not launched, not live/paused/needing attention), when its engine rows do not exist yet
    (``flags["rows"]`` False: create them and load again), or when another step holds the
    lock (``flags["busy"]``).
    """
    with connection.cursor() as cur:
        cur.execute(_LOAD, [REREAD_MS, list(STEPPING), STEP_LOCK_SPACE, bot_id])
        row = cur.fetchone()
    if row is None:
        return None, None
    (status, reasons, launched, number, version_id, credential_id, fills_ms, ledger_ms, market_ms, wall_ms,
     speed, sides, orders, known, locked) = row
    flags = {"status": status, "pause_reasons": list(reasons or []), "launched": launched, "number": number,
             "strategy_version_id": version_id, "credential_id": credential_id, "rows": fills_ms is not None,
             "busy": locked is False}
    if not locked:
        return flags, None
    memos = {s[0]: SideMemo(s[0], s[1], _dec(s[2]), Decimal(s[3]), _dec(s[4]), s[5], s[6]) for s in sides or []}
    records = [OrderRecord(o[0], o[1], o[2], o[3], o[4], o[5], o[6], Decimal(o[7]), Decimal(o[8]), o[9],
                           state=o[10], exchange_order_id=o[11], filled=Decimal(o[12]), lookups=o[13],
                           detail=o[14], dirty=False, new=False) for o in orders or []]
    state = StepState(status=status, open_new=status == BotStatus.LIVE and not reasons, sides=memos,
                      orders=records, fills_cursor_ms=fills_ms, ledger_cursor_ms=ledger_ms,
                      known_trades=set(known or ()), market_ms=market_ms)
    return flags, Loaded(state, {n: side_signature(m) for n, m in memos.items()}, wall_ms, market_ms, speed)


def unlock_statement(number) -> Statement:
    return "SELECT pg_advisory_unlock(%s, %s::int)", [STEP_LOCK_SPACE, int(number or 0)]


def unlock(number) -> None:
    execute([unlock_statement(number)])


def execute(statements: list[Statement]) -> None:
    """Send the statements as one string: one round trip, one transaction."""
    if not statements:
        return
    with connection.cursor() as cur:
        cur.execute(";\n".join(s for s, _ in statements), [p for _, params in statements for p in params])


def _values(rows: list[list[Any]], casts: tuple[str, ...]) -> tuple[str, list[Any]]:
    """``VALUES (...), (...)`` with each column's cast, and the flat parameters."""
    row = "(" + ", ".join(f"%s{c}" for c in casts) + ")"
    return ", ".join([row] * len(rows)), [v for r in rows for v in r]


def step_statements(bot_id, state: StepState, loaded: Loaded | None) -> list[Statement]:
    """The writes of what the step changed (only that): orders, fills, events, sides.

    The state is marked written: the statements must be executed (or the step fail)."""
    out: list[Statement] = []
    new = [o for o in state.orders if o.new]
    if new:
        values, params = _values([
            [bot_id, o.client_order_id, o.side, o.kind, o.level, o.cycle, o.version, o.buy, o.price, o.qty,
             o.reduce_only, o.state, o.exchange_order_id, o.filled, o.lookups, o.detail[:200]] for o in new],
            ("::uuid", "", "", "", "::int", "::int", "::int", "::bool", "::numeric", "::numeric", "::bool",
             "", "", "::numeric", "::int", ""))
        out.append((f"INSERT INTO {T_ORDER} (bot_id, client_order_id, side, kind, level, cycle, version, buy, price, "
                    "qty, reduce_only, state, exchange_order_id, filled, lookups, detail, created_at, updated_at) "
                    f"SELECT v.*, now(), now() FROM (VALUES {values}) AS v", params))
    changed = [o for o in state.orders if o.dirty and not o.new]
    if changed:
        values, params = _values(
            [[o.client_order_id, o.state, o.exchange_order_id, o.filled, o.lookups, o.detail[:200]] for o in changed],
            ("", "", "", "::numeric", "::int", ""))
        out.append((f"UPDATE {T_ORDER} AS o SET state = v.state, exchange_order_id = v.eid, filled = v.filled, "
                    f"lookups = v.lookups, detail = v.detail, updated_at = now() FROM (VALUES {values}) "
                    "AS v(cid, state, eid, filled, lookups, detail) WHERE o.bot_id = %s AND o.client_order_id = v.cid",
                    [*params, bot_id]))
    for o in state.orders:
        o.dirty = o.new = False
    if state.new_fills:
        out.append(_fills_statement(bot_id, state.new_fills))
        if loaded is not None:
            loaded.saved_fills.extend(state.new_fills)
        state.new_fills = []
    if state.events:
        values, params = _values([[bot_id, e.kind, json.dumps(e.data)] for e in state.events],
                                 ("::uuid", "", "::jsonb"))
        out.append((f"INSERT INTO {T_EVENT} (bot_id, kind, data, created_at) SELECT v.*, now() FROM (VALUES {values}) AS v",
                    params))
        if loaded is not None:
            loaded.saved_events.extend(state.events)
        state.events = []
    sides = [m for n, m in state.sides.items() if loaded is None or side_signature(m) != loaded.sides_before.get(n)]
    if sides:
        values, params = _values(
            [[m.side, m.cycle, m.cycle_balance, m.size, m.entry_price, m.dca_count, m.order_seq] for m in sides],
            ("", "::int", "::numeric", "::numeric", "::numeric", "::int", "::int"))
        out.append((f"UPDATE {T_SIDE} AS s SET cycle = v.cycle, cycle_balance = v.cb, size = v.size, "
                    "entry_price = v.entry, dca_count = v.k, order_seq = v.seq "
                    f"FROM (VALUES {values}) AS v(side, cycle, cb, size, entry, k, seq) "
                    "WHERE s.bot_id = %s AND s.side = v.side", [*params, bot_id]))
        if loaded is not None:
            for m in sides:
                loaded.sides_before[m.side] = side_signature(m)
    return out


def _fills_statement(bot_id, fills: list[FillRecord]) -> Statement:
    values, params = _values([
        [bot_id, f.trade_id, f.client_order_id, f.client_order_id, f.side, f.kind, f.level, f.cycle, f.buy,
         f.price, f.qty, f.fee, f.fee_currency, f.foreign, from_ms(f.executed_ms)] for f in fills],
        ("::uuid", "", "", "", "", "", "::int", "::int", "::bool", "::numeric", "::numeric", "::numeric", "",
         "::bool", "::timestamptz"))
    # order_id: the order this fill belongs to, when it is one of ours (client ids are unique)
    return (f"INSERT INTO {T_FILL} (bot_id, trade_id, order_id, client_order_id, side, kind, level, cycle, buy, "
            'price, qty, fee, fee_currency, "foreign", executed_at, recorded_at) '
            f"SELECT v.bot, v.tid, (SELECT o.id FROM {T_ORDER} o WHERE o.client_order_id = v.cid_ AND v.cid_ <> ''), "
            "v.cid, v.side, v.kind, v.level, v.cycle, v.buy, v.price, v.qty, v.fee, v.feec, v.fgn, v.at, now() "
            f"FROM (VALUES {values}) AS v(bot, tid, cid_, cid, side, kind, level, cycle, buy, price, qty, fee, feec, "
            "fgn, at) ON CONFLICT (bot_id, trade_id) DO NOTHING", params)


def save_state(bot_id, state: StepState, loaded: Loaded | None = None) -> None:
    """Write what the step changed, now (before its orders are sent)."""
    execute(step_statements(bot_id, state, loaded))


def learned_speed(loaded: Loaded, state: StepState, wall_ms: int) -> float:
    """Market ms per wall ms, smoothed: the demo's accelerated clock steps as often in market time."""
    speed = loaded.speed
    if loaded.last_wall_ms and wall_ms > loaded.last_wall_ms and state.market_ms > loaded.last_market_ms > 0:
        observed = (state.market_ms - loaded.last_market_ms) / (wall_ms - loaded.last_wall_ms)
        speed = min(10_000.0, max(1.0, 0.5 * speed + 0.5 * observed))
    return speed


def end_statements(bot_id, state: StepState, loaded: Loaded, *, wall_ms: int, speed: float, written: bool,
                   base_currency: str, error: str = "") -> list[Statement]:
    """The step's last write: its changes (when ``written``), cursors, the learned speed."""
    out = step_statements(bot_id, state, loaded) if written else []
    out.append((f"UPDATE {T_ENGINE} SET steps = steps + 1, last_step_at = %s, last_wall_ms = %s, market_speed = %s, "
                "last_market_ms = %s, fills_cursor_ms = %s, ledger_cursor_ms = %s, balance = %s::numeric, "
                "balance_currency = %s, last_price = %s::numeric, last_error = %s, "
                "consecutive_errors = CASE WHEN %s THEN consecutive_errors + 1 ELSE 0 END WHERE bot_id = %s",
                [timezone.now(), wall_ms, speed, state.market_ms, state.fills_cursor_ms, state.ledger_cursor_ms,
                 state.balance, base_currency, state.last_price, error[:500], bool(error), bot_id]))
    return out


def bot_flags(bot_id) -> dict | None:
    return Bot.objects.filter(pk=bot_id).values("status", "pause_reasons", "launched_at", "number",
                                                "strategy_version_id", "credential_id").first()


def mark_all_canceled(bot_id) -> int:
    return Order.objects.filter(bot_id=bot_id, state__in=LIVE_ORDER_STATES).update(
        state=OrderState.CANCELED, detail="bot stopped", updated_at=timezone.now())

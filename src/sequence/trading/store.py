"""The engine's store: :class:`sequence.engine.model.StepState` to and from rows.

Built for thousands of bots per process. A step costs **one read and one write**:

- :func:`load` reads the bot's flags, cursors, sides, live orders and the trade ids of the
  re-read window in one query, and takes the bot's step lock (a session advisory lock) in it;
  :func:`load_many` does so for a tick's bots together, in one query;
- :func:`step_statements` and :func:`end_statements` build the step's writes (orders, fills,
  events, sides, cursors, the next step's due time, the lock's release) as statements that
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
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection
from django.utils import timezone

from sequence.engine.model import EngineEvent as Event
from sequence.engine.model import FillRecord, OrderRecord, SideMemo, StepState
from sequence.trading.models import Bot, BotEngine, BotSide, EngineEvent, Fill, Order
from sequence.trading.statuses import STEPPING, BotStatus, OrderState

LIVE_ORDER_STATES = (OrderState.PENDING, OrderState.OPEN)
REREAD_MS = 2 * 300_000  # twice the engine's re-read window (runner.REREAD_MS)
# Two steps of one bot never run at once, whatever runs on how many machines: besides the
# shard's job lock (which a stalled-job requeue can release while the first tick still runs),
# each step holds a PostgreSQL session advisory lock on the bot for its whole duration. A
# killed worker's connection closes and PostgreSQL releases its locks with it.
STEP_LOCK_SPACE = 0x5E90
# events that are the bot's own doing: saved, but no step monitor looks at them (trading.hooks)
UNWATCHED_EVENTS = frozenset({"funding"})

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
    balance_before: Decimal | None = None  # the balance the previous step read
    due_at: Any = None  # the bot's next_step_at when it was loaded (a later change: a hurry)
    versions: dict = field(default_factory=dict)  # version id -> Params of older versions sides run
    # what this step saved, for the step monitors (trading.hooks) at its end
    saved_events: list[Event] = field(default_factory=list)
    saved_fills: list[FillRecord] = field(default_factory=list)


def side_signature(m: SideMemo) -> tuple:
    return (m.cycle, m.cycle_balance, m.size, m.entry_price, m.dca_count, m.order_seq, m.params_version)


def _dec(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def ensure_rows(bot_id, side_names: list[str]) -> None:
    BotEngine.objects.get_or_create(bot_id=bot_id)
    for name in side_names:
        BotSide.objects.get_or_create(bot_id=bot_id, side=name)


_LOAD = f"""
SELECT b.id::text, b.status, b.pause_reasons, b.launched_at IS NOT NULL, b.number, b.strategy_version_id,
       b.credential_id, e.fills_cursor_ms, e.ledger_cursor_ms, e.ledger_seen, e.last_market_ms, e.last_wall_ms,
       e.market_speed, e.balance::text,
       (SELECT json_agg(json_build_array(s.side, s.cycle, s.cycle_balance::text, s.size::text,
                                         s.entry_price::text, s.dca_count, s.order_seq, s.strategy_version_id)
                        ORDER BY s.side)
          FROM {T_SIDE} s WHERE s.bot_id = b.id),
       (SELECT json_agg(json_build_array(o.client_order_id, o.side, o.kind, o.level, o.cycle, o.version,
                                         o.buy, o.price::text, o.qty::text, o.reduce_only, o.state,
                                         o.exchange_order_id, o.filled::text, o.lookups, o.detail) ORDER BY o.id)
          FROM {T_ORDER} o WHERE o.bot_id = b.id AND o.state IN ('pending', 'open')),
       (SELECT array_agg(f.trade_id) FROM {T_FILL} f WHERE f.bot_id = b.id
           AND f.executed_at >= to_timestamp(GREATEST(0, e.fills_cursor_ms - %s) / 1000.0)),
       CASE WHEN b.status = ANY(%s) AND b.launched_at IS NOT NULL AND e.bot_id IS NOT NULL
            THEN pg_try_advisory_lock(%s, k.key) END,
       e.next_step_at
  FROM unnest(%s::uuid[], %s::int[]) AS k(id, key) JOIN {T_BOT} b ON b.id = k.id
  LEFT JOIN {T_ENGINE} e ON e.bot_id = b.id
"""
Load = tuple[dict | None, Loaded | None]


def load(bot_id) -> Load:
    """The bot's flags, and its state with the step lock held (``None``: not to step now).

    Flags are ``None`` for an unknown bot. The state is ``None`` when the bot does not step
    (not launched, not live/paused/needing attention), when its engine rows do not exist yet
    (``flags["rows"]`` False: create them and load again), or when another step holds the
    lock (``flags["busy"]``).
    """
    return load_many([bot_id]).get(str(bot_id), (None, None))


def load_many(bot_ids: list) -> dict[str, Load]:
    """:func:`load` of several bots in one query (a tick's): their locks are this connection's.
    Unknown bots are left out."""
    ids = [str(b) for b in bot_ids]
    with connection.cursor() as cur:
        cur.execute(_LOAD, [REREAD_MS, list(STEPPING), STEP_LOCK_SPACE, ids, [lock_key(b) for b in ids]])
        return {row[0]: _loaded(row[1:]) for row in cur.fetchall()}


def _loaded(row: tuple) -> Load:
    (status, reasons, launched, number, version_id, credential_id, fills_ms, ledger_ms, seen, market_ms, wall_ms,
     speed, balance, sides, orders, known, locked, due_at) = row
    flags = {"status": status, "pause_reasons": list(reasons or []), "launched": launched, "number": number,
             "strategy_version_id": version_id, "credential_id": credential_id, "rows": fills_ms is not None,
             "busy": locked is False}
    if not locked:
        return flags, None
    memos = {s[0]: SideMemo(s[0], s[1], _dec(s[2]), Decimal(s[3]), _dec(s[4]), s[5], s[6], params_version=s[7])
             for s in sides or []}
    records = [OrderRecord(o[0], o[1], o[2], o[3], o[4], o[5], o[6], Decimal(o[7]), Decimal(o[8]), o[9],
                           state=o[10], exchange_order_id=o[11], filled=Decimal(o[12]), lookups=o[13],
                           detail=o[14], dirty=False, new=False) for o in orders or []]
    state = StepState(status=status, open_new=status == BotStatus.LIVE and not reasons, sides=memos,
                      orders=records, fills_cursor_ms=fills_ms, ledger_cursor_ms=ledger_ms, ledger_seen=set(seen or ()),
                      known_trades=set(known or ()), market_ms=market_ms)
    return flags, Loaded(state, {n: side_signature(m) for n, m in memos.items()}, wall_ms, market_ms, speed,
                         balance_before=_dec(balance), due_at=due_at)


def lock_key(bot_id) -> int:
    """The bot's step lock: a 31-bit key from its id (known before anything is read)."""
    return uuid.UUID(str(bot_id)).int & 0x7FFFFFFF


def try_lock(bot_id) -> bool:
    """Take the bot's step lock when free (a session advisory lock: see the module's lanes)."""
    with connection.cursor() as cur:
        cur.execute("SELECT pg_try_advisory_lock(%s, %s)", [STEP_LOCK_SPACE, lock_key(bot_id)])
        return bool(cur.fetchone()[0])


def unlock_statement(bot_id) -> Statement:
    return "SELECT pg_advisory_unlock(%s, %s)", [STEP_LOCK_SPACE, lock_key(bot_id)]


def unlock(bot_id) -> None:
    execute([unlock_statement(bot_id)])


def unlock_many(bot_ids: list) -> None:
    with connection.cursor() as cur:
        cur.execute("SELECT pg_advisory_unlock(%s, k) FROM unnest(%s::int[]) AS k",
                    [STEP_LOCK_SPACE, [lock_key(b) for b in bot_ids]])


def execute(statements: list[Statement]) -> None:
    """Send the statements as one string: one round trip, one transaction."""
    if not statements:
        return
    with connection.cursor() as cur:
        cur.execute(";\n".join(s for s, _ in statements), [p for _, params in statements for p in params])


def _json(rows: list[dict[str, Any]]) -> str:
    # Decimals as strings: PostgreSQL reads them into numeric exactly
    return json.dumps(rows, default=str, separators=(",", ":"))


# Fixed statement texts with the rows as one JSON parameter: psycopg caches their parsing, and
# binding one parameter instead of one per value is most of what a write costs in Python.
_INSERT_ORDERS = f"""INSERT INTO {T_ORDER} (bot_id, client_order_id, side, kind, level, cycle, version, buy, price,
 qty, reduce_only, state, exchange_order_id, filled, lookups, detail, created_at, updated_at)
 SELECT %s::uuid, v.*, now(), now() FROM json_to_recordset(%s::json) AS v(cid text, side text, kind text,
 level int, cycle int, version int, buy bool, price numeric, qty numeric, ro bool, state text, eid text,
 filled numeric, lookups int, detail text)"""
_UPDATE_ORDERS = f"""UPDATE {T_ORDER} AS o SET state = v.state, exchange_order_id = v.eid, filled = v.filled,
 lookups = v.lookups, detail = v.detail, updated_at = now() FROM json_to_recordset(%s::json)
 AS v(cid text, state text, eid text, filled numeric, lookups int, detail text)
 WHERE o.bot_id = %s::uuid AND o.client_order_id = v.cid"""
# order_id: the order a fill belongs to, when it is one of ours (client ids are unique)
_INSERT_FILLS = f"""INSERT INTO {T_FILL} (bot_id, trade_id, order_id, client_order_id, side, kind, level, cycle, buy,
 price, qty, fee, fee_currency, "foreign", executed_at, recorded_at)
 SELECT %s::uuid, v.tid, (SELECT o.id FROM {T_ORDER} o WHERE o.client_order_id = v.cid AND v.cid <> ''), v.cid,
 v.side, v.kind, v.level, v.cycle, v.buy, v.price, v.qty, v.fee, v.feec, v.fgn,
 timestamptz 'epoch' + v.ms * interval '1 millisecond', now()
 FROM json_to_recordset(%s::json) AS v(tid text, cid text, side text, kind text, level int, cycle int, buy bool,
 price numeric, qty numeric, fee numeric, feec text, fgn bool, ms bigint)
 ON CONFLICT (bot_id, trade_id) DO NOTHING"""
_INSERT_EVENTS = f"""INSERT INTO {T_EVENT} (bot_id, kind, data, created_at)
 SELECT %s::uuid, v.kind, v.data, now() FROM json_to_recordset(%s::json) AS v(kind text, data jsonb)"""
_UPDATE_SIDES = f"""UPDATE {T_SIDE} AS s SET cycle = v.cycle, cycle_balance = v.cb, size = v.size,
 entry_price = v.entry, dca_count = v.k, order_seq = v.seq, strategy_version_id = v.ver
 FROM json_to_recordset(%s::json) AS v(side text, cycle int, cb numeric, size numeric, entry numeric, k int, seq int,
 ver bigint)
 WHERE s.bot_id = %s::uuid AND s.side = v.side"""
# The next step's due time: ``delay`` seconds on, rounded up to the tick grid (``grid``
# seconds, from the epoch) so that the bots of a shard come due together and one tick steps
# them all. A due time someone moved since the step loaded (a pause or resume asking for a step
# now) is kept when it is the earlier.
# The cadence is kept from the due time the step ran for (not from when it ended), unless the
# step ran more than one interval late: then from now.
_DUE = ("to_timestamp(ceil((extract(epoch FROM GREATEST(%s::timestamptz, now() - %s * interval '1 second'))"
        " + %s) / %s) * %s)")
_UPDATE_ENGINE = f"""UPDATE {T_ENGINE} SET steps = steps + 1, last_step_at = now(), last_wall_ms = %s,
 market_speed = %s, last_market_ms = %s, fills_cursor_ms = %s, ledger_cursor_ms = %s, ledger_seen = %s,
 balance = COALESCE(%s::numeric, balance),
 balance_currency = COALESCE(NULLIF(%s, ''), balance_currency), last_price = COALESCE(%s::numeric, last_price),
 last_error = %s,
 consecutive_errors = CASE WHEN %s THEN consecutive_errors + 1 ELSE 0 END,
 next_step_at = CASE WHEN NOT %s THEN next_step_at WHEN NOT %s THEN NULL
     WHEN next_step_at IS DISTINCT FROM %s::timestamptz THEN LEAST(next_step_at, {_DUE})
     ELSE {_DUE} END
 WHERE bot_id = %s::uuid"""


class Writes(list):
    """Statements of a step, and what to mark written once they have run (:meth:`saved`).

    Marked only then: a write that failed (a unique violation, a lost connection) leaves the
    step's fills, events and orders pending, so that no later write of the step moves the
    cursors past fills that were never saved."""

    def __init__(self) -> None:
        super().__init__()
        self.marks: list = []
        self.events: list[Event] = []  # the events to save that a step monitor looks at

    def saved(self) -> None:
        for mark in self.marks:
            mark()
        self.marks = []


def step_statements(bot_id, state: StepState, loaded: Loaded | None) -> Writes:
    """The writes of what the step changed (only that): orders, fills, events, sides.

    Once executed, :meth:`Writes.saved` marks the state written."""
    out = Writes()
    bot = str(bot_id)
    new = [o for o in state.orders if o.new]
    if new:
        out.append((_INSERT_ORDERS, [bot, _json([
            {"cid": o.client_order_id, "side": o.side, "kind": o.kind, "level": o.level, "cycle": o.cycle,
             "version": o.version, "buy": o.buy, "price": o.price, "qty": o.qty, "ro": o.reduce_only,
             "state": o.state, "eid": o.exchange_order_id, "filled": o.filled, "lookups": o.lookups,
             "detail": o.detail[:200]} for o in new])]))
    changed = [o for o in state.orders if o.dirty and not o.new]
    if changed:
        out.append((_UPDATE_ORDERS, [_json([
            {"cid": o.client_order_id, "state": o.state, "eid": o.exchange_order_id, "filled": o.filled,
             "lookups": o.lookups, "detail": o.detail[:200]} for o in changed]), bot]))
    touched = new + changed

    def orders_saved() -> None:
        for o in touched:
            o.dirty = o.new = False

    out.marks.append(orders_saved)
    if state.new_fills:
        out.append((_INSERT_FILLS, [bot, _json([
            {"tid": f.trade_id, "cid": f.client_order_id, "side": f.side, "kind": f.kind, "level": f.level,
             "cycle": f.cycle, "buy": f.buy, "price": f.price, "qty": f.qty, "fee": f.fee, "feec": f.fee_currency,
             "fgn": f.foreign, "ms": f.executed_ms} for f in state.new_fills])]))
        fills = list(state.new_fills)

        def fills_saved() -> None:
            if loaded is not None:
                loaded.saved_fills.extend(fills)
            del state.new_fills[:len(fills)]

        out.marks.append(fills_saved)
    if state.events:
        events = list(state.events)
        out.append((_INSERT_EVENTS, [bot, _json([{"kind": e.kind, "data": e.data} for e in events])]))
        out.events = [e for e in events if e.kind not in UNWATCHED_EVENTS]

        def events_saved() -> None:
            if loaded is not None:
                loaded.saved_events.extend(out.events)
            del state.events[:len(events)]

        out.marks.append(events_saved)
    sides = [m for n, m in state.sides.items() if loaded is None or side_signature(m) != loaded.sides_before.get(n)]
    if sides:
        out.append((_UPDATE_SIDES, [_json([
            {"side": m.side, "cycle": m.cycle, "cb": m.cycle_balance, "size": m.size, "entry": m.entry_price,
             "k": m.dca_count, "seq": m.order_seq, "ver": m.params_version} for m in sides]), bot]))
        signatures = {m.side: side_signature(m) for m in sides}
        if loaded is not None:
            out.marks.append(lambda: loaded.sides_before.update(signatures))
    return out


def learned_speed(loaded: Loaded, state: StepState, wall_ms: int) -> float:
    """Market ms per wall ms, smoothed: the demo's accelerated clock steps as often in market time."""
    speed = loaded.speed
    if loaded.last_wall_ms and wall_ms > loaded.last_wall_ms and state.market_ms > loaded.last_market_ms > 0:
        observed = (state.market_ms - loaded.last_market_ms) / (wall_ms - loaded.last_wall_ms)
        speed = min(10_000.0, max(1.0, 0.5 * speed + 0.5 * observed))
    return speed


def end_statements(bot_id, state: StepState, loaded: Loaded, *, wall_ms: int, speed: float, written: bool,
                   base_currency: str, error: str = "", next_in: tuple[float, float] | None = None) -> Writes:
    """The step's last write: its changes (when ``written``), cursors, the learned speed, and the
    next step's due time: ``next_in`` (delay, grid) in seconds; ``None`` leaves it as it is (a
    step run by hand). A bot that no longer steps is due never (NULL)."""
    out = step_statements(bot_id, state, loaded) if written else Writes()
    delay, grid = next_in or (0.0, 1.0)
    due = [loaded.due_at, delay, delay, grid, grid]
    out.append((_UPDATE_ENGINE, [wall_ms, speed, state.market_ms, state.fills_cursor_ms, state.ledger_cursor_ms,
                                 sorted(state.ledger_seen),
                                 state.balance, base_currency, state.last_price, error[:500], bool(error),
                                 next_in is not None, state.status in STEPPING, loaded.due_at, *due, *due,
                                 str(bot_id)]))
    return out


def bot_flags(bot_id) -> dict | None:
    """The bot's status and pause reasons now (after a monitor or a service changed them)."""
    with connection.cursor() as cur:
        cur.execute(f"SELECT status, pause_reasons FROM {T_BOT} WHERE id = %s", [bot_id])
        row = cur.fetchone()
    return None if row is None else {"status": row[0], "pause_reasons": list(row[1] or [])}


def mark_all_canceled(bot_id) -> int:
    return Order.objects.filter(bot_id=bot_id, state__in=LIVE_ORDER_STATES).update(
        state=OrderState.CANCELED, detail="bot stopped", updated_at=timezone.now())

"""Reconcile: a side found flat on the exchange is our close when this step read its
take-profit's fill, even when the take-profit's record cannot say so yet; a stranger's
only when nothing of ours explains it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from asgiref.sync import async_to_sync

from sequence.core.precision import Precision
from sequence.engine.ids import OrderId, encode
from sequence.engine.model import BotContext, OrderRecord, SideMemo, StepState
from sequence.engine.runner import Snapshot, StepResult, reconcile
from sequence.exchanges.domain import Fill, Order, OrderStatus, Position, PositionSide, Side
from sequence.exchanges.errors import ExchangeError
from sequence.strategy.params import Params

SYMBOL = "BTC/USDT:USDT"
NUMBER = 7
NOW_MS = 1_700_000_000_000


class LookupsFail:
    """The exchange's order look-up is down this step (a 5xx, a time-out)."""

    async def fetch_order_by_client_id(self, symbol, client_order_id):
        raise ExchangeError("bybit: 503 Service Unavailable")


def ctx() -> BotContext:
    return BotContext(bot_id="b", number=NUMBER, symbol=SYMBOL, base_currency="USDT",
                      params=Params.from_mapping({"sides": "both"}), precision=Precision(), hedge=True)


def take_profit_id(cycle: int, version: int) -> str:
    return encode(OrderId(bot=NUMBER, cycle=cycle, side="short", kind="take_profit", level=0, version=version))


def fill_of(cid: str | None, trade: str) -> Fill:
    return Fill(id=trade, order_id="x", client_order_id=cid, symbol=SYMBOL, side=Side.BUY, price=Decimal(29000),
                amount=Decimal("0.008"), cost=None, fee=Decimal("0.01"), fee_currency="USDT", maker=True,
                timestamp=datetime.fromtimestamp(NOW_MS / 1000, UTC))


def state_with_a_short(recorded_tp: str | None) -> StepState:
    memo = SideMemo("short", cycle=3, cycle_balance=Decimal(10000), size=Decimal("0.008"),
                    entry_price=Decimal(29500), dca_count=1, order_seq=9)
    orders = []
    if recorded_tp:
        orders.append(OrderRecord(recorded_tp, "short", "take_profit", 0, 3, 9, True, Decimal(29000),
                                  Decimal("0.008"), True, state="open", exchange_order_id="x"))
    return StepState(status="live", open_new=True, sides={"short": memo}, orders=orders,
                     fills_cursor_ms=NOW_MS - 60_000, ledger_cursor_ms=NOW_MS - 60_000, market_ms=NOW_MS - 60_000)


def flat(fills: list[Fill]) -> Snapshot:
    return Snapshot(balance=Decimal(10010), positions={}, open_orders=[], fills=fills, bid=Decimal(29000),
                    ask=Decimal(29001), last=Decimal(29000), market_ms=NOW_MS, ledger=[])


def closing(state: StepState, snap: Snapshot) -> list[dict]:
    async_to_sync(reconcile)(ctx(), LookupsFail(), state, snap, StepResult())
    return [e.data for e in state.events if e.kind == "foreign_activity"]


@pytest.mark.parametrize("recorded", [True, False], ids=["recorded-look-up-failed", "not-recorded-restored"])
def test_a_flat_side_with_its_take_profits_fill_read_is_our_close(recorded):
    cid = take_profit_id(3, 9)
    state = state_with_a_short(cid if recorded else None)
    assert closing(state, flat([fill_of(cid, "t1")])) == []
    memo = state.sides["short"]
    assert (memo.cycle, memo.size, memo.dca_count, memo.cycle_balance) == (4, 0, 0, None)  # the next cycle


def test_a_flat_side_with_no_fill_of_ours_is_a_strangers_close():
    state = state_with_a_short(None)
    events = closing(state, flat([]))
    assert events == [{"what": "position closed", "side": "short", "size": "0.008"}]
    assert state.sides["short"].cycle == 4


def test_an_older_cycles_take_profit_does_not_explain_the_close():
    state = state_with_a_short(None)
    events = closing(state, flat([fill_of(take_profit_id(2, 4), "t0")]))
    assert [e["what"] for e in events] == ["position closed"]


def entry_id(cycle: int, version: int) -> str:
    return encode(OrderId(bot=NUMBER, cycle=cycle, side="short", kind="entry", level=0, version=version))


def open_take_profit(cid: str) -> Order:
    return Order(id="o-" + cid[-6:], client_order_id=cid, symbol=SYMBOL, side=Side.BUY, type="limit",
                 price=Decimal(28900), amount=Decimal("0.008"), filled=Decimal(0), remaining=Decimal("0.008"),
                 status=OrderStatus.OPEN, post_only=False, reduce_only=True, position_side=None,
                 timestamp=None)


def short_of(size: str, fills: list[Fill], open_orders: list[Order]) -> Snapshot:
    return Snapshot(balance=Decimal(10010), positions={"short": (Decimal(size), Decimal(29100))},
                    open_orders=open_orders, fills=fills, bid=Decimal(29000), ask=Decimal(29001),
                    last=Decimal(29000), market_ms=NOW_MS, ledger=[])


def test_a_database_cycles_behind_the_exchange_follows_it_and_its_close_is_ours():
    """Restored from a backup taken in cycle 3: the lost platform closed 3, traded cycle 4 through
    and began 5 (its entry filled, its take-profit resting). The side moves to cycle 5 with the
    exchange's position, and cycle 5's take-profit fill, next step, is our close."""
    state = state_with_a_short(take_profit_id(3, 9))
    tp5 = take_profit_id(5, 14)
    fills = [fill_of(take_profit_id(3, 9), "t1"), fill_of(entry_id(4, 10), "t2"),
             fill_of(take_profit_id(4, 12), "t3"), fill_of(entry_id(5, 13), "t4")]
    assert closing(state, short_of("0.008", fills, [open_take_profit(tp5)])) == []
    memo = state.sides["short"]
    assert (memo.cycle, memo.size, memo.dca_count, memo.order_seq) == (5, Decimal("0.008"), 0, 14)
    adopted = [e.data for e in state.events if e.kind == "adopted" and e.data.get("what") == "cycle"]
    # the resting take-profit is read before the fills: one move, from 3 to 5
    assert adopted == [{"what": "cycle", "side": "short", "ours": 3, "exchange": 5}]
    live = [o for o in state.orders if o.client_order_id == tp5]
    assert live and live[0].state == "open", "cycle 5's take-profit is a live order of the running cycle"
    # next step: cycle 5's take-profit filled, the side flat
    state.events.clear()
    state.new_fills.clear()
    assert closing(state, flat([fill_of(tp5, "t5")])) == []
    assert (memo.cycle, memo.size) == (6, 0)


def test_a_later_cycles_entry_resting_alone_is_no_strangers_close():
    """The lost platform closed cycle 3 and sent cycle 4's entry, unfilled: the exchange shows the
    side flat and that entry resting. Its close was ours, whether or not this step reads the fill."""
    state = state_with_a_short(None)
    entry = replace(open_take_profit(entry_id(4, 10)), reduce_only=False, price=Decimal(29500))
    assert closing(state, replace(flat([]), open_orders=[entry])) == []
    memo = state.sides["short"]
    assert (memo.cycle, memo.size, memo.order_seq) == (4, 0, 10)
    assert [o.state for o in state.orders if o.client_order_id == entry.client_order_id] == ["open"]


class PositionsNow(LookupsFail):
    """The exchange's positions when read again (the snapshot's were read before a fill)."""

    def __init__(self, short: str | None) -> None:
        self.short = short
        self.reads = 0

    async def fetch_positions(self, symbols):
        self.reads += 1
        if self.short is None:
            return []
        return [Position(symbol=SYMBOL, side=PositionSide.SHORT, size=Decimal(self.short), entry_price=Decimal(29500),
                         mark_price=None, unrealized_pnl=None, leverage=None, hedged=True)]


def foreign_of(port, state: StepState, snap: Snapshot) -> list[dict]:
    async_to_sync(reconcile)(ctx(), port, state, snap, StepResult())
    return [e.data for e in state.events if e.kind == "foreign_activity"]


def test_a_take_profit_filling_between_the_position_and_fill_reads_is_our_close():
    """The step read the short still open, then its take-profit's fill (the fill came in between):
    the position is read again, found flat, and the cycle closes as ours. The next step, which
    finds the side flat with nothing new to read, has nothing to explain."""
    cid = take_profit_id(3, 9)
    state = state_with_a_short(cid)
    port = PositionsNow(short=None)
    assert foreign_of(port, state, short_of("0.008", [fill_of(cid, "t1")], [])) == []
    memo = state.sides["short"]
    assert port.reads == 1 and (memo.cycle, memo.size) == (4, 0)
    state.events.clear()
    state.new_fills.clear()
    assert foreign_of(port, state, flat([])) == []
    assert memo.cycle == 4


def test_a_position_still_open_when_read_again_stays_open():
    """Read again and still open (the take-profit's fill is one of several, or the side opened
    anew): the exchange's position stands and the cycle goes on; no read when no fill of our
    take-profit was seen."""
    cid = take_profit_id(3, 9)
    state = state_with_a_short(cid)
    port = PositionsNow(short="0.004")
    assert foreign_of(port, state, short_of("0.008", [fill_of(cid, "t1")], [])) == []
    assert port.reads == 1 and (state.sides["short"].cycle, state.sides["short"].size) == (3, Decimal("0.004"))
    quiet = PositionsNow(short="0.008")
    assert foreign_of(quiet, state_with_a_short(cid), short_of("0.008", [], [])) == [] and quiet.reads == 0

"""A Hypothesis state machine over reconcile: our record of one order against an exchange whose
order moves open -> partially filled -> filled or cancelled, reported late, twice, out of order,
or not at all (a look-up that finds nothing)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from sequence.engine.model import OrderRecord
from sequence.engine.reconcile import MAX_LOOKUPS, apply_report
from sequence.exchanges.domain import Order, OrderStatus, Side

QTY = Decimal("1.000")


def report(status: OrderStatus, filled: Decimal) -> Order:
    return Order(id="x1", client_order_id="c1", symbol="BTC/USDT:USDT", side=Side.BUY, type="limit",
                 price=Decimal(100), amount=QTY, filled=filled, remaining=QTY - filled, status=status,
                 post_only=True, reduce_only=False, position_side=None, timestamp=datetime.now(UTC))


class ReconcileMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.rec = OrderRecord("c1", "long", "dca", 1, 1, 1, True, Decimal(100), QTY, False, state="pending")
        self.filled = Decimal(0)  # the exchange's truth
        self.status = OrderStatus.OPEN
        self.exists = True
        self.history: list[Order] = []  # every report the exchange ever gave, oldest first
        self.terminal_seen: str | None = None
        self.filled_seen = Decimal(0)

    def _snapshot(self) -> None:
        self.history.append(report(self.status, self.filled))

    @rule(step=st.integers(1, 400))
    @precondition(lambda self: self.status == OrderStatus.OPEN and self.exists)
    def exchange_fills_some(self, step):
        self.filled = min(QTY, self.filled + Decimal(step) / 1000)
        if self.filled == QTY:
            self.status = OrderStatus.FILLED
        self._snapshot()

    @rule()
    @precondition(lambda self: self.status == OrderStatus.OPEN and self.exists)
    def exchange_cancels(self):
        self.status = OrderStatus.CANCELED
        self._snapshot()

    @rule()
    @precondition(lambda self: not self.history)
    def the_send_never_arrived(self):
        self.exists = False

    @rule()
    def latest_report_arrives(self):
        if self.exists:
            self._snapshot()
            apply_report(self.rec, self.history[-1])
        else:
            apply_report(self.rec, None)

    @rule(data=st.data())
    @precondition(lambda self: bool(self.history))
    def a_stale_report_arrives(self, data):
        apply_report(self.rec, data.draw(st.sampled_from(self.history)))

    @invariant()
    def filled_never_decreases_nor_exceeds_the_truth(self):
        assert self.rec.filled >= self.filled_seen
        assert self.rec.filled <= self.filled
        self.filled_seen = self.rec.filled

    @invariant()
    def terminal_stays_terminal(self):
        if self.terminal_seen is not None:
            assert self.rec.state == self.terminal_seen
        if self.rec.terminal:
            self.terminal_seen = self.rec.state

    @invariant()
    def never_concluded_unsent_while_it_exists(self):
        if self.exists and self.history:
            assert self.rec.detail != "never reached the exchange"

    @invariant()
    def a_missing_order_is_given_up_only_after_the_lookups(self):
        if self.rec.detail == "never reached the exchange":
            assert not self.exists and self.rec.lookups >= MAX_LOOKUPS

    @rule()
    @precondition(lambda self: self.exists and self.status != OrderStatus.OPEN)
    def after_the_end_the_latest_report_settles_the_record(self):
        self._snapshot()
        apply_report(self.rec, self.history[-1])
        assert self.rec.terminal
        if self.terminal_seen is None:
            expected = "filled" if self.filled == QTY else "canceled"
            assert self.rec.state == expected


TestReconcile = ReconcileMachine.TestCase
TestReconcile.settings = settings(max_examples=300, stateful_step_count=30, deadline=None)

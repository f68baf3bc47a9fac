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
"""

from __future__ import annotations

from decimal import Decimal

from sequence.engine.model import EngineEvent, OrderRecord
from sequence.exchanges.domain import Order as ExchangeOrder
from sequence.exchanges.domain import OrderStatus

__all__ = ["MAX_LOOKUPS", "apply_report", "counts_in_k"]

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

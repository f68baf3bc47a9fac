"""Diff: the orders a bot wants against the ones resting, as cancels and creates. Pure.

A slot is (side, kind, level). For each slot the resting order is kept when it already is
what the strategy wants (same price and size; a take-profit: same price and a remainder
equal to the whole position), and replaced otherwise. Also:

- a partly filled entry or DCA order keeps resting unchanged (its fills count once it is
  full or its remainder is cancelled), unless the bot no longer opens new positions;
- an order still *pending* (sent, outcome unknown) holds its slot: nothing is created
  beside it and it is not cancelled blind; reconcile resolves it by looking it up;
- orders of an earlier cycle are cancelled;
- cancels go first (they free margin), then creates: take-profits before entries and DCA.
"""

from __future__ import annotations

from sequence.engine.model import OrderRecord
from sequence.engine.plan import Desired

__all__ = ["diff"]

KIND_ORDER = {"take_profit": 0, "entry": 1, "dca": 2}


def _matches(rec: OrderRecord, want: Desired) -> bool:
    if rec.price != want.price:
        return False
    if rec.kind == "take_profit":
        return rec.remaining == want.qty
    return rec.qty == want.qty and rec.filled == 0


def diff(wanted: list[Desired], records: list[OrderRecord], *, cycles: dict[str, int],
         open_new: bool) -> tuple[list[OrderRecord], list[Desired]]:
    by_slot = {w.slot: w for w in wanted}
    covered: set[tuple[str, str, int]] = set()
    cancels: list[OrderRecord] = []
    for rec in records:
        if rec.terminal:
            continue
        if rec.state == "pending":
            covered.add(rec.slot)
            continue
        if rec.cycle != cycles.get(rec.side, rec.cycle):
            cancels.append(rec)
            continue
        if rec.slot in covered:
            cancels.append(rec)  # a second order in one slot: keep one
            continue
        want = by_slot.get(rec.slot)
        partial = rec.filled > 0 and rec.kind != "take_profit"
        if partial and open_new:
            covered.add(rec.slot)
            continue
        if want is not None and _matches(rec, want):
            covered.add(rec.slot)
            continue
        cancels.append(rec)
    creates = [w for w in wanted if w.slot not in covered]
    creates.sort(key=lambda w: (KIND_ORDER[w.kind], w.side, w.level))
    return cancels, creates

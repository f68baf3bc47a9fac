"""Checks of a bot's orders against the simulated exchange: no order lost, none doubled."""

from __future__ import annotations

from collections import Counter

from sequence.engine.ids import decode
from sequence.trading.models import Bot, Order


def venue_orders(venue, key) -> list[dict]:
    return venue.admin.call("GET", f"/admin/accounts/{key.account_id}/orders")["orders"]


def check_invariants(bot: Bot, venue, key) -> dict:
    """No duplicate, no lost order (checkable at any moment: every order is recorded before it is sent)."""
    orders = venue_orders(venue, key)
    ours = [o for o in orders if decode(o["link_id"]) is not None and decode(o["link_id"]).bot == bot.number]
    known = set(Order.objects.filter(bot=bot).values_list("client_order_id", flat=True))
    lost = [o["link_id"] for o in ours if o["link_id"] not in known]
    open_slots = Counter((decode(o["link_id"]).side, decode(o["link_id"]).kind, decode(o["link_id"]).level)
                         for o in ours if o["status"] in ("New", "PartiallyFilled"))
    dup_open = {k: n for k, n in open_slots.items() if n > 1}
    # an order concluded "never reached the exchange" must really not be there (else a re-send
    # would double it); an order the venue still rests must be live in the database
    by_id = {o["link_id"]: o for o in ours}
    never = list(Order.objects.filter(bot=bot, detail="never reached the exchange")
                 .values_list("client_order_id", flat=True))
    wrongly_given_up = [c for c in never if c in by_id]
    assert lost == [], f"orders on the exchange the database does not know: {lost}"
    assert dup_open == {}, f"two resting orders in one slot: {dup_open}"
    assert wrongly_given_up == [], f"given up as never sent, yet on the exchange: {wrongly_given_up}"
    return {"orders": len(ours), "open": sum(open_slots.values())}

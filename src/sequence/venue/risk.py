"""Cross-margin risk: liquidation and funding (filled in below)."""

from __future__ import annotations

from decimal import Decimal


class Risk:
    """Mixin of :class:`~sequence.venue.engine.Venue`."""

    def _liquidations(self, high: Decimal, low: Decimal) -> None:
        return None

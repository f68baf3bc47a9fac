"""How realistic the simulated market is: spread, volume cap, book depth, funding, fees.

A :class:`MarketProfile` is frozen; a venue holds one (``Venue(..., profile=...)``,
``venue.set_profile(...)``, admin ``POST /admin/profile``). Three ready-made ones:

- the default (``MarketProfile()``): a realistic market. The spread is 1 bp of the
  mid; a resting order fills at most 10 % of each candle's volume (BTCUSDT candles
  average about 2 BTC a minute, so a 1 BTC order takes several candles); the book
  holds 2 BTC per tick for 50 ticks each side, and market orders walk it; funding
  0.01 % every 8 hours; the tier-1 maintenance margin rate 0.5 % (Bybit BTCUSDT).
- :meth:`MarketProfile.parity`: the backtester's market, for engine-versus-backtest
  parity tests. No spread, no funding, no volume cap, unlimited depth, the maker
  fee as given, and an order priced exactly at the last close fills at once at
  that price as maker (a post-only one too, instead of being cancelled).
- :meth:`MarketProfile.ideal`: the idealised market of the first emulator
  (no spread, no cap, no funding, unlimited depth, market fees): for tests that
  are about the protocol, not the market.

Units. ``spread`` is relative to the mid: ``ask - bid = spread * mid``, the bid
rounded down and the ask up to the market's tick (and at least one tick apart
when ``spread > 0``). ``participation`` is a fraction of the candle's volume in
the base coin (None: no cap). ``book_depth`` is base coin per level, one level per
tick (None: unlimited). ``price_band`` is the largest move a market order may
walk from the mid, as a fraction (the exchanges' price limit). ``funding_rate``
is per 8-hour interval. ``maintenance_margin`` is the tier-1 rate.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from decimal import Decimal
from typing import Any

from sequence.venue.model import VenueError, dec

D = Decimal
SPREAD = D("0.0001")
PARTICIPATION = D("0.1")
FUNDING_RATE = D("0.0001")
BOOK_DEPTH = D(2)
PRICE_BAND = D("0.05")
MAINTENANCE_MARGIN = D("0.005")  # Bybit BTCUSDT risk-limit tier 1
PARITY_MAKER_FEE = D("0.0002")


@dataclass(frozen=True)
class MarketProfile:
    spread: Decimal = SPREAD
    participation: Decimal | None = PARTICIPATION
    funding_rate: Decimal = FUNDING_RATE
    maker_fee: Decimal | None = None  # None: the market's own fee
    taker_fee: Decimal | None = None
    fill_at_touch: bool = False
    book_depth: Decimal | None = BOOK_DEPTH
    book_levels: int = 50
    price_band: Decimal = PRICE_BAND
    maintenance_margin: Decimal = MAINTENANCE_MARGIN

    def __post_init__(self) -> None:
        for name in ("spread", "funding_rate", "maker_fee", "taker_fee", "participation",
                     "book_depth", "price_band", "maintenance_margin"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, Decimal):
                object.__setattr__(self, name, dec(value))
        if self.spread < 0 or self.spread >= 1:
            raise VenueError("bad_param", "spread must be in [0, 1)")
        if self.participation is not None and not 0 < self.participation <= 1:
            raise VenueError("bad_param", "participation must be in (0, 1] or null")
        if self.book_depth is not None and self.book_depth <= 0:
            raise VenueError("bad_param", "book_depth must be positive or null")
        if not 0 < self.price_band < 1:
            raise VenueError("bad_param", "price_band must be in (0, 1)")
        if not 0 <= self.maintenance_margin < 1:
            raise VenueError("bad_param", "maintenance_margin must be in [0, 1)")
        if self.book_levels < 1:
            raise VenueError("bad_param", "book_levels must be at least 1")

    @classmethod
    def parity(cls, maker_fee: Decimal | str = PARITY_MAKER_FEE) -> MarketProfile:
        """The backtester's market: see the module docstring."""
        return cls(spread=D(0), participation=None, funding_rate=D(0), maker_fee=dec(maker_fee),
                   fill_at_touch=True, book_depth=None)

    @classmethod
    def ideal(cls) -> MarketProfile:
        """The idealised market: no spread, no volume cap, no funding, unlimited depth."""
        return cls(spread=D(0), participation=None, funding_rate=D(0), book_depth=None)

    def updated(self, **changes: object) -> MarketProfile:
        """A copy with ``changes`` (JSON values accepted); unknown names are refused."""
        known = {f.name for f in fields(self)}
        unknown = set(changes) - known
        if unknown:
            raise VenueError("bad_param", f"unknown profile field(s): {', '.join(sorted(unknown))}")
        def decimal(name: str, current: Decimal) -> Decimal:
            return dec(changes[name]) if name in changes else current

        def maybe(name: str, current: Decimal | None) -> Decimal | None:
            if name not in changes:
                return current
            return None if changes[name] is None else dec(changes[name])

        levels = changes.get("book_levels", self.book_levels)
        if not isinstance(levels, (int, str)) or isinstance(levels, bool):
            raise VenueError("bad_param", "book_levels must be an integer")
        try:
            book_levels = int(levels)
        except ValueError:
            raise VenueError("bad_param", "book_levels must be an integer") from None
        return MarketProfile(
            spread=decimal("spread", self.spread),
            participation=maybe("participation", self.participation),
            funding_rate=decimal("funding_rate", self.funding_rate),
            maker_fee=maybe("maker_fee", self.maker_fee),
            taker_fee=maybe("taker_fee", self.taker_fee),
            fill_at_touch=bool(changes.get("fill_at_touch", self.fill_at_touch)),
            book_depth=maybe("book_depth", self.book_depth),
            book_levels=book_levels,
            price_band=decimal("price_band", self.price_band),
            maintenance_margin=decimal("maintenance_margin", self.maintenance_margin))

    def public(self) -> dict[str, Any]:
        return {k: (str(v) if isinstance(v, Decimal) else v) for k, v in asdict(self).items()}

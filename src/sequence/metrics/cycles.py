"""Cycles from a ledger of fills: entry, each DCA, exit, PnL, fees, funding, per side.

A **cycle** of one side runs from its entry fill until that side is flat again. Fills that
reduce it without flattening it (partial take-profits) belong to it; the fill that makes
it flat names its ending (``take_profit``, ``stop``, ``liquidation`` or ``manual``).

Every fill moves the account's two holdings (the account's view, fees apart)::

    buy  of c coins at price p:  coins += c,  quote -= c p
    sell of c coins at price p:  coins -= c,  quote += c p

where ``c`` is the fill's quantity for a linear contract or spot (``qty`` coins) and
``qty / p`` for an inverse contract (``qty`` USD contracts, each worth 1 USD). A cycle's
PnL in the unit of account is the value of what it moved, at its last fill's price ``P``,
less its fees, plus its funding::

    quote unit:  pnl = quote + coins x P - fees + funding
    coin unit:   pnl = coins + quote / P - fees + funding

A linear round trip moves no coins (pnl = quote moved); an inverse round trip moves no
quote (the contracts bought equal those sold), so its pnl is ``sum(qty/p)`` over buys less
over sells: the exchange's ``q (1/entry - 1/exit)`` per contract, exactly. A BTC-base spot
round trip may leave USDT over (``quote_left``, reported in USDT) which counts in BTC at
``P``. Example (linear long, quote unit, fees 0.1 USDT per fill): buy 1 at 100, DCA buy 1
at 90, sell 2 at 99 -> quote = -100 - 90 + 198 = 8, coins = 0, pnl = 8 - 0.3 = 7.7.
Example (inverse long, coin unit, no fees): buy 100 contracts at 50, sell 100 at 100 ->
coins = 2 - 1 = 1, quote = -100 + 100 = 0, pnl = 1 BTC.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

__all__ = [
    "CONTRACTS", "ENDINGS", "Cycle", "Funding", "MetricFill", "OpenPosition", "SideStats",
    "build_cycles", "side_stats",
]  # fmt: skip

ZERO = Decimal(0)
CONTRACTS = ("linear", "inverse")
UNITS = ("quote", "coin")
ENDINGS = ("take_profit", "stop", "liquidation", "manual")
OPENING = ("entry", "dca")
# a float ledger (the backtester's) sums to a remainder of rounding error, never exactly 0
FLAT_TOLERANCE = Decimal("1e-9")
# a spot take-profit sells what the lot allows: a remainder under this share of the cycle's
# largest size is dust that no order can sell, and the cycle is over (as the engine counts it)
DUST = Decimal("1e-4")


@dataclass(frozen=True, slots=True)
class MetricFill:
    """One fill: ``qty`` in the market's size unit (spot: coins, both sides), ``fee`` in
    ``fee_in`` (``coin`` or ``quote``)."""

    ts_ms: int
    side: str  # long | short: the side whose position it moves
    kind: str  # entry | dca | take_profit | stop | liquidation | manual
    buy: bool
    price: Decimal
    qty: Decimal
    fee: Decimal = ZERO
    fee_in: str = "quote"
    trade_id: str = ""
    cycle: int = 0  # the engine's cycle number of the side, 0 when not known (backtests)


@dataclass(frozen=True, slots=True)
class Funding:
    """A funding payment in the unit of account (positive: received) by the side's position."""

    ts_ms: int
    side: str
    amount: Decimal


@dataclass
class Cycle:
    side: str
    number: int
    entry_ts: int
    entry_price: Decimal
    dcas: list[tuple[int, Decimal, Decimal]] = field(default_factory=list)  # ts, price, qty
    exits: list[tuple[int, Decimal, Decimal]] = field(default_factory=list)
    ending: str | None = None  # None: still open
    exit_ts: int | None = None
    coins: Decimal = ZERO  # coins moved (net), fees apart
    quote: Decimal = ZERO  # quote moved (net), fees apart
    fees_coin: Decimal = ZERO
    fees_quote: Decimal = ZERO
    funding: Decimal = ZERO  # in the unit of account
    size: Decimal = ZERO  # open size (market's size unit; a spot short side: the USDT it holds)
    max_size: Decimal = ZERO
    trade_ids: list[str] = field(default_factory=list)
    last_price: Decimal = ZERO
    engine_cycle: int = 0  # the engine's number for it (live), 0 when not known
    last_reducing: str = ""  # the kind of its latest reducing fill

    @property
    def dca_depth(self) -> int:
        """DCA fills in the cycle (0: closed from the entry size)."""
        return len(self.dcas)

    @property
    def duration_ms(self) -> int | None:
        return None if self.exit_ts is None else self.exit_ts - self.entry_ts

    @property
    def exit_price(self) -> Decimal | None:
        """The exits' size-weighted average price (one exit: its price)."""
        total = sum((q for _, _, q in self.exits), ZERO)
        if not total:
            return None
        return sum((p * q for _, p, q in self.exits), ZERO) / total

    def fees(self, unit: str, price: Decimal | None = None) -> Decimal:
        """Fees in the unit of account; the other currency's at ``price`` (default: the last fill's)."""
        p = self.last_price if price is None else price
        if unit == "coin":
            return self.fees_coin + (self.fees_quote / p if self.fees_quote else ZERO)
        return self.fees_quote + self.fees_coin * p

    def gross(self, unit: str, price: Decimal | None = None) -> Decimal:
        """Value of the holdings moved, at ``price`` (default: the last fill's), fees apart."""
        p = self.last_price if price is None else price
        if unit == "coin":
            return self.coins + (self.quote / p if self.quote else ZERO)
        return self.quote + self.coins * p

    def pnl(self, unit: str, price: Decimal | None = None) -> Decimal:
        """Net PnL in the unit: gross - fees + funding (see the module's formula)."""
        return self.gross(unit, price) - self.fees(unit, price) + self.funding

    def quote_left(self) -> Decimal:
        """The quote currency this cycle moved net of its quote fees (BTC-base spot: USDT left)."""
        return self.quote - self.fees_quote


@dataclass(frozen=True)
class OpenPosition:
    """A side's open cycle at the end, valued at ``mark``."""

    side: str
    size: Decimal
    average_entry: Decimal
    dca_depth: int
    since_ts: int
    mark: Decimal
    unrealised_pnl: Decimal  # gross value of the cycle's moves at the mark, fees apart
    fees: Decimal


def _coins(contract: str, qty: Decimal, price: Decimal) -> Decimal:
    return qty / price if contract == "inverse" else qty


def _close(cy: Cycle, kind: str, ts_ms: int) -> None:
    cy.size = ZERO
    cy.ending = kind if kind in ENDINGS else "manual"
    cy.exit_ts = ts_ms


def build_cycles(
    fills: Iterable[MetricFill], *, contract: str = "linear", funding: Iterable[Funding] = (),
    spot: bool = False,
) -> list[Cycle]:  # fmt: skip
    """The cycles of both sides in the order they opened; the last of a side may be open.

    Fills are taken in ``(ts_ms, given order)``. An opening fill (entry, DCA) on a flat side
    starts a cycle; a reducing fill on a flat side (a foreign sell with nothing held) is
    skipped. A fill of another engine cycle number (``cycle``) than the side's open cycle
    ends that cycle (labelled by its last reducing fill, else ``manual``). On ``spot`` a fee
    paid in the coin comes out of the coins held, and a take-profit leaving only dust
    (:data:`DUST`) ends the cycle. A spot short side (a coin base) holds quote, not coins: its
    size is the USDT its sales brought in net of USDT fees, less what its buy-backs spent, so
    a partial buy-back is not taken for the end because it already bought more coins than
    were sold. Funding goes to the cycle of its side open at its time
    (from the entry to the exit, inclusive); funding when that side is flat belongs to no cycle.
    """
    if contract not in CONTRACTS:
        raise ValueError(f"contract must be one of {', '.join(CONTRACTS)}, got {contract!r}")
    ordered = sorted(enumerate(fills), key=lambda t: (t[1].ts_ms, t[0]))
    cycles: list[Cycle] = []
    open_: dict[str, Cycle] = {}
    count = {"long": 0, "short": 0}
    for _, f in ordered:
        opening = f.buy == (f.side == "long")
        cy = open_.get(f.side)
        if cy is not None and f.cycle and cy.engine_cycle not in (0, f.cycle):
            _close(cy, cy.last_reducing or "manual", cy.exits[-1][0] if cy.exits else f.ts_ms)
            del open_[f.side]
            cy = None
        if cy is None:
            if not opening:
                continue
            count[f.side] = count.get(f.side, 0) + 1
            cy = Cycle(side=f.side, number=count[f.side], entry_ts=f.ts_ms, entry_price=f.price,
                       engine_cycle=f.cycle)
            cycles.append(cy)
            open_[f.side] = cy
        elif opening:
            cy.dcas.append((f.ts_ms, f.price, f.qty))
        else:
            cy.exits.append((f.ts_ms, f.price, f.qty))
        c = _coins(contract, f.qty, f.price)
        quote = f.qty if contract == "inverse" else f.qty * f.price
        cy.coins += c if f.buy else -c
        cy.quote += -quote if f.buy else quote
        if f.fee_in == "coin":
            cy.fees_coin += f.fee
        else:
            cy.fees_quote += f.fee
        if spot and f.side == "short":
            # coin-base spot: the side holds the USDT its sales brought in (net of their USDT
            # fees) until its buy-backs spend it; a buy-back takes more coins than were sold
            usdt = f.qty * f.price
            cy.size += usdt if opening else -usdt
            if f.fee_in == "quote":
                cy.size -= f.fee
        else:
            cy.size += f.qty if opening else -f.qty
            if spot and f.fee_in == "coin":
                cy.size -= f.fee
        cy.max_size = max(cy.max_size, cy.size)
        cy.last_price = f.price
        if f.trade_id:
            cy.trade_ids.append(f.trade_id)
        if not opening:
            cy.last_reducing = f.kind
        dust = DUST if spot and f.kind == "take_profit" else FLAT_TOLERANCE
        if not opening and cy.size <= cy.max_size * dust:
            _close(cy, f.kind, f.ts_ms)
            del open_[f.side]
    for pay in funding:
        for cy in cycles:
            end = cy.exit_ts if cy.exit_ts is not None else pay.ts_ms
            if cy.side == pay.side and cy.entry_ts <= pay.ts_ms <= end:
                cy.funding += pay.amount
                break
    return cycles


def open_positions(cycles: Sequence[Cycle], *, contract: str, unit: str,
                   mark: Decimal) -> list[OpenPosition]:  # fmt: skip
    """Each side's open cycle valued at ``mark``.

    ``average_entry`` = quote held / coins held (linear) or contracts / coins (inverse):
    the price at which the open size would be flat in value. Example (linear long): buy 1 at
    100, buy 1 at 90 -> average 95; at mark 99 the unrealised PnL is -190 + 2 x 99 = 8.
    """
    out = []
    for cy in cycles:
        if cy.ending is not None:
            continue
        coins_held = abs(cy.coins)
        avg = abs(cy.quote) / coins_held if coins_held else cy.entry_price
        if contract == "inverse":
            avg = cy.size / coins_held if coins_held else cy.entry_price
        out.append(OpenPosition(
            side=cy.side, size=cy.size, average_entry=avg, dca_depth=cy.dca_depth,
            since_ts=cy.entry_ts, mark=mark, unrealised_pnl=cy.gross(unit, mark),
            fees=cy.fees(unit, mark),
        ))  # fmt: skip
    return out


@dataclass(frozen=True)
class SideStats:
    side: str  # long | short | total
    cycles: int
    wins: int
    pnl: Decimal
    fees: Decimal
    funding: Decimal
    mean_pnl: Decimal | None
    mean_duration_ms: float | None
    max_duration_ms: int | None
    mean_dca_depth: float | None
    max_dca_depth: int
    endings: dict[str, int]

    @property
    def win_rate(self) -> float | None:
        return self.wins / self.cycles if self.cycles else None


def side_stats(cycles: Sequence[Cycle], unit: str) -> list[SideStats]:
    """Closed cycles' statistics per side and in total (rows ``long``, ``short``, ``total``).

    ``wins`` counts cycles with pnl > 0; ``mean_pnl`` = pnl / cycles. Example: closed long
    cycles of pnl 7.7 and -2 -> cycles 2, wins 1, win rate 0.5, pnl 5.7, mean 2.85.
    """
    rows = []
    for name in ("long", "short", "total"):
        done = [c for c in cycles if c.ending is not None and name in (c.side, "total")]
        pnls = [c.pnl(unit) for c in done]
        durations = [c.duration_ms or 0 for c in done]
        depths = [c.dca_depth for c in done]
        endings: dict[str, int] = {}
        for c in done:
            assert c.ending is not None
            endings[c.ending] = endings.get(c.ending, 0) + 1
        n = len(done)
        rows.append(SideStats(
            side=name, cycles=n, wins=sum(1 for p in pnls if p > 0),
            pnl=sum(pnls, ZERO), fees=sum((c.fees(unit) for c in done), ZERO),
            funding=sum((c.funding for c in done), ZERO),
            mean_pnl=sum(pnls, ZERO) / n if n else None,
            mean_duration_ms=sum(durations) / n if n else None,
            max_duration_ms=max(durations) if n else None,
            mean_dca_depth=sum(depths) / n if n else None,
            max_dca_depth=max(depths, default=0), endings=endings,
        ))  # fmt: skip
    return rows

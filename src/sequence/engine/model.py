"""The engine's working state of one bot, as plain data (the store maps it to rows)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sequence.core.precision import ZERO, Precision
from sequence.strategy.params import Params

__all__ = [
    "TERMINAL",
    "BotContext",
    "EngineEvent",
    "FillRecord",
    "OrderRecord",
    "SideMemo",
    "StepState",
]

TERMINAL = frozenset({"filled", "canceled", "rejected"})


@dataclass(slots=True)
class OrderRecord:
    client_order_id: str
    side: str
    kind: str  # entry | dca | take_profit
    level: int
    cycle: int
    version: int
    buy: bool
    price: Decimal
    qty: Decimal
    reduce_only: bool
    state: str = "pending"  # pending | open | filled | canceled | rejected
    exchange_order_id: str = ""
    filled: Decimal = ZERO
    lookups: int = 0
    detail: str = ""
    dirty: bool = True  # to be written
    new: bool = True  # not yet in the database

    @property
    def terminal(self) -> bool:
        return self.state in TERMINAL

    @property
    def remaining(self) -> Decimal:
        return self.qty - self.filled

    @property
    def slot(self) -> tuple[str, str, int]:
        return (self.side, self.kind, self.level)


@dataclass(slots=True)
class SideMemo:
    side: str
    cycle: int = 1
    cycle_balance: Decimal | None = None
    size: Decimal = ZERO
    entry_price: Decimal | None = None
    dca_count: int = 0
    order_seq: int = 0  # the last version used in this side's client ids
    # the strategy version this side's cycle runs (None: not begun; it begins with the bot's
    # current one): an operator's move reaches a side at its next cycle, never mid-cycle
    params_version: int | None = None
    closed: bool = False  # this step saw the cycle's take-profit fill

    def next_version(self) -> int:
        self.order_seq += 1
        return self.order_seq


@dataclass(frozen=True, slots=True)
class FillRecord:
    trade_id: str
    client_order_id: str
    side: str
    kind: str
    level: int
    cycle: int
    buy: bool
    price: Decimal
    qty: Decimal
    fee: Decimal | None
    fee_currency: str
    foreign: bool
    executed_ms: int


@dataclass(frozen=True, slots=True)
class EngineEvent:
    # adopted | foreign_activity | order_lost | below_minimum | deposit | error | funding (a
    # funding payment of the bot's market, from the ledger: read by the portfolio, no monitor's)
    kind: str
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class BotContext:
    """What does not change between steps: who, where, which parameters."""

    bot_id: str
    number: int
    symbol: str
    base_currency: str  # the wallet coin whose balance is B
    params: Params
    precision: Precision
    hedge: bool
    spot: bool = False
    # strategy units (coins, or quote contracts when coin-margined) per exchange amount unit
    contract_size: Decimal = Decimal(1)
    version: int | None = None  # the bot's current strategy version (``params``)
    versions: Mapping[int, Params] = field(default_factory=dict)  # older versions sides still run

    @property
    def spot_in_coin(self) -> bool:
        """Spot with a coin base (the short side): the side's size is quote (USDT), its
        orders and fills are in the coin (BTC) as the exchange trades them."""
        return self.spot and self.params.spot_coin_base

    def params_of(self, memo: SideMemo) -> Params:
        if memo.params_version is None or memo.params_version == self.version:
            return self.params
        return self.versions.get(memo.params_version, self.params)


@dataclass(slots=True)
class StepState:
    """Loaded at the start of a step, changed by it, saved by the store."""

    status: str  # live | paused | needs_attention
    open_new: bool  # False when paused or needing attention: take-profits only
    sides: dict[str, SideMemo]
    orders: list[OrderRecord]  # every non-terminal order, and the current cycles' terminal ones
    fills_cursor_ms: int = 0
    ledger_cursor_ms: int = 0
    ledger_seen: set[str] = field(default_factory=set)  # ids of entries at the cursor's ms, read
    known_trades: set[str] = field(default_factory=set)
    new_fills: list[FillRecord] = field(default_factory=list)
    events: list[EngineEvent] = field(default_factory=list)
    balance: Decimal | None = None
    last_price: Decimal | None = None
    bid: Decimal | None = None
    ask: Decimal | None = None
    market_ms: int = 0
    wall_ms: int = 0  # the wall clock at the step's start (market time when the venue gives none)
    attention: str = ""  # set by the step: the bot needs a person (balance below the minimum)
    below_minimum: int = 0
    sends: int = 0

    def open_records(self) -> list[OrderRecord]:
        return [o for o in self.orders if not o.terminal]

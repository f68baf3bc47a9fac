"""What the mixins of :class:`~sequence.venue.engine.Venue` share: its state, and its seams.

:class:`Venue` is assembled from mixins (``Orders``, ``Matching``, ``Fills``, ``Risk``,
``Wallets``) that call one another. Each mixin subclasses :class:`VenueBase`, which
declares the venue's attributes (set in ``Venue.__init__``) and, for the type checker
only, the methods one mixin calls on another. mypy checks every implementation against
its declaration here, so the two cannot drift.

Also the shapes of the venue's market data: :data:`Candle` (a processed 1-minute candle),
:data:`PublicTrade`, :data:`RestingBook`, and the :class:`Feed` protocol that
:class:`~sequence.venue.feed.CandleFeed` and :class:`~sequence.venue.feed.RandomWalkFeed`
follow.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol

from sequence.venue.feed import AnyFeedCandle, MarketClock
from sequence.venue.limits import RateLimits
from sequence.venue.model import Account, ApiKey, Execution, LedgerEntry, Market, Order, Position
from sequence.venue.profile import MarketProfile
from sequence.venue.requestlog import RequestLog

# A processed 1-minute candle: (start ms, open, high, low, close, volume in the base coin).
Candle = tuple[int, Decimal, Decimal, Decimal, Decimal, Decimal]
# A recent public trade: (id, ms, market key, price, qty in the market's unit, base qty, side).
PublicTrade = tuple[str, int, str, Decimal, Decimal, Decimal, str]
# One side of a market's resting orders, a heap of (sort price, seq, order): the bids keep
# the negated price so that the best of either side is the heap's first entry.
RestingBook = list[tuple[Decimal, int, Order]]


class Feed(Protocol):
    """A source of 1-minute candles (see :mod:`sequence.venue.feed`)."""

    start_ms: int

    def describe(self) -> dict[str, Any]: ...

    def first_open(self) -> float: ...

    def next_start_ms(self) -> int | None: ...

    def candles_until(self, market_ms: int) -> Sequence[AnyFeedCandle]: ...


class VenueBase:
    """The venue's state (set by ``Venue.__init__``) and the methods the mixins share."""

    feed: Feed
    clock: MarketClock
    markets: dict[str, Market]
    by_bybit: dict[tuple[str, str], Market]  # (category, symbol) -> market
    by_okx: dict[str, Market]  # instId -> market
    accounts: dict[str, Account]
    keys: dict[str, ApiKey]
    last_price: Decimal
    last_candle: tuple[int, Decimal, Decimal, Decimal, Decimal] | None
    candles_done: int
    candles: deque[Candle]
    trades: deque[PublicTrade]
    request_log: RequestLog
    limits: RateLimits
    profile: MarketProfile
    lockstep: bool
    _seq: itertools.count[int]
    _ids: itertools.count[int]
    _uids: itertools.count[int]
    _books: dict[str, tuple[RestingBook, RestingBook]]  # market key -> (bids, asks)
    _wall_fn: Callable[[], int] | None
    _speed_before_lockstep: float

    if TYPE_CHECKING:
        # Defined by Venue and the mixins; declared here so that each mixin may call them.
        def now(self) -> int: ...

        def next_id(self) -> str: ...

        def account(self, account_id: str) -> Account: ...

        # Orders
        def _remember(self, acct: Account, order: Order) -> None: ...

        def _closed(self, acct: Account, order: Order) -> None: ...

        def _finish(self, acct: Account, order: Order, status: str, *,
                    cancel_type: str) -> None: ...

        def _reducible(self, acct: Account, order: Order) -> Position | None: ...

        # Matching
        def quote(self, market: Market) -> tuple[Decimal, Decimal]: ...

        def _take(self, acct: Account, order: Order) -> None: ...

        def _rest(self, order: Order) -> None: ...

        def _still_reduces(self, acct: Account, order: Order) -> bool: ...

        def _public_trade(self, execution: Execution) -> None: ...

        # Fills
        def _fill(self, acct: Account, order: Order, price: Decimal, qty: Decimal | None = None,
                  *, maker: bool, exec_type: str = "Trade") -> Decimal: ...

        # Risk
        def _liquidations(self, high: Decimal, low: Decimal) -> None: ...

        def _funding(self, candle_end: int, close: Decimal) -> None: ...

        # Wallets
        def _book_entry(self, acct: Account, coin: str, type_: str, change: Decimal, *,
                        wallet: str = "trading", cash_flow: Decimal = ...,
                        fee: Decimal = ..., execution: Execution | None = None,
                        note: str = "", time: int | None = None,
                        funding: Decimal = ..., position: Position | None = None,
                        size: Decimal = ..., price: Decimal | None = None,
                        side: str = ...) -> LedgerEntry: ...

        def available(self, acct: Account, coin: str, wallet: str = "trading") -> Decimal: ...

        def upl(self, acct: Account, coin: str, price: Decimal | None = None) -> Decimal: ...

        def position(self, acct: Account, market: Market, idx: int) -> Position: ...

        def _requirement(self, acct: Account, order: Order, price: Decimal) -> Decimal: ...

        @staticmethod
        def _reserve_coin(order: Order) -> str: ...

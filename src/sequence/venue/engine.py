"""The simulated exchange's engine: accounts, wallets, keys, orders, matching, positions.

Protocol-neutral: the Bybit and OKX HTTP layers translate their requests into
calls on :class:`Venue` and render its records in their own shapes. All money is
:class:`~decimal.Decimal`. Not thread-safe: one event loop owns a venue.

Units. Spot and linear quantities are in the base coin (BTC); inverse quantities
are in USD contracts of 1 USD (Bybit's ``BTCUSD``; OKX's ``BTC-USD-SWAP`` has
contracts of 100 USD, the OKX layer converts). Linear PnL and fees are in USDT,
inverse ones in BTC.

Formulas (hand-computed examples):

- linear fee = rate * qty * price: 0.0002 * 0.01 * 20000 = 0.04 USDT;
- linear PnL, long closed = qty * (exit - entry): 0.01 * (20100 - 20000) = 1 USDT,
  short = qty * (entry - exit);
- inverse fee = rate * qty / price: 0.0002 * 1000 / 20000 = 0.00001 BTC;
- inverse PnL, long = qty * (1/entry - 1/exit): 1000 * (1/20000 - 1/25000)
  = 0.01 BTC; short = qty * (1/exit - 1/entry);
- inverse average entry is harmonic: (q1 + q2) / (q1/p1 + q2/p2).

Margin (one cross wallet per settle coin, like Bybit's unified account): an order
that opens or adds to a position reserves ``qty*price/leverage`` (linear; inverse:
``qty/price/leverage``) plus the taker fee in the settle coin; a position holds
``entry notional/leverage``. ``available = wallet - order margin - position margin
+ min(0, unrealised PnL)``: losses count, gains are not spendable. An order that
needs more than that is rejected (Bybit 110007, OKX 51008). Spot orders lock the
coin they spend: a sell its quantity, a limit buy ``qty*price`` (a spot fee is charged in
the coin received: BTC on a buy, USDT on a sell), a market buy its value plus the taker fee. Liquidation and funding: :mod:`sequence.venue.risk`.

Matching: :mod:`sequence.venue.matching` (the rules) with the figures of the
venue's :class:`~sequence.venue.profile.MarketProfile`. Time: every trading
record is stamped with the market clock (:meth:`Venue.now`); authentication and
the envelopes' ``time`` use the wall clock (:meth:`Venue.wall_ms`).
"""

from __future__ import annotations

import itertools
import secrets
import time
import uuid
from collections import deque
from collections.abc import Callable
from decimal import Decimal

from sequence.venue.base import Candle, Feed
from sequence.venue.feed import MINUTE_MS, CandleFeed, MarketClock, RandomWalkFeed
from sequence.venue.fills import Fills
from sequence.venue.limits import RateLimits
from sequence.venue.matching import Matching
from sequence.venue.model import Account, ApiKey, Market, VenueError, _alnum, default_markets
from sequence.venue.orders import Orders
from sequence.venue.profile import MarketProfile
from sequence.venue.requestlog import RequestLog
from sequence.venue.risk import Risk
from sequence.venue.wallets import Wallets

D = Decimal
CANDLES_KEPT = 7 * 24 * 60  # a week of 1-minute candles for the kline endpoints
TRADES_KEPT = 1000


class Venue(Orders, Matching, Fills, Risk, Wallets):
    """All state of the simulated exchange, and its matching engine."""

    def __init__(self, feed: Feed, clock: MarketClock, *, markets: list[Market] | None = None,
                 wall_ms: Callable[[], int] | None = None,
                 profile: MarketProfile | None = None) -> None:
        self.feed = feed
        self.clock = clock
        self.markets = {m.key: m for m in (markets or default_markets())}
        self.by_bybit = {(m.kind, m.bybit_symbol): m for m in self.markets.values()}
        self.by_okx = {m.okx_inst_id: m for m in self.markets.values()}
        self.accounts = {}
        self.keys = {}
        self.last_price = D(str(feed.first_open()))
        self.last_candle = None
        self.candles_done = 0
        self._seq = itertools.count(1)
        self._ids = itertools.count(int(time.time() * 1000) * 1000)
        self._uids = itertools.count(100200300)
        self._books = {k: ([], []) for k in self.markets}
        self._wall_fn = wall_ms  # None: the real wall clock (keeps the venue picklable)
        self.request_log = RequestLog()  # written by the HTTP server (exchange requests)
        self.limits = RateLimits()  # the real figures, on (see limits.py)
        self.profile = profile if profile is not None else MarketProfile()
        self.candles = deque(maxlen=CANDLES_KEPT)  # (ts, o, h, l, c, volume), Decimal
        self.trades = deque(maxlen=TRADES_KEPT)  # recent public trades, newest last
        self.lockstep = False
        self._speed_before_lockstep = 0.0

    # ------------------------------------------------------------------ time
    def now(self) -> int:
        """Market time in ms (stamps every trading record)."""
        return self.clock.now_ms()

    def wall_ms(self) -> int:
        if self._wall_fn is not None:
            return self._wall_fn()
        return int(time.time() * 1000)

    def sync(self) -> int:
        """Process every candle the market clock has completed; returns how many."""
        candles = self.feed.candles_until(self.clock.now_ms())
        for candle in candles:
            self._process_candle(candle)
        return len(candles)

    def step(self) -> Candle | None:
        """Lock-step: process the feed's next candle now and move the market clock to its
        end. Returns the candle ``(ts, open, high, low, close, volume)`` (Decimal prices) or
        None when the feed has no more candles."""
        self.sync()
        start = self.feed.next_start_ms()
        if start is None:
            return None
        end = start + MINUTE_MS
        if self.clock.now_ms() < end:
            self.clock.set_time(end)
        self.sync()
        return self.candles[-1] if self.candles else None

    def set_lockstep(self, on: bool) -> None:
        """Lock-step on: the market clock stands still and moves only by :meth:`step`."""
        if on and not self.lockstep:
            self._speed_before_lockstep = self.clock.speed
            self.clock.set_speed(0)
        elif not on and self.lockstep:
            self.clock.set_speed(self._speed_before_lockstep)
        self.lockstep = bool(on)

    def set_profile(self, profile: MarketProfile) -> None:
        """Change the market's realism from now on (open orders keep their reservations)."""
        if not isinstance(profile, MarketProfile):
            raise VenueError("bad_param", "profile must be a MarketProfile")
        self.profile = profile

    def next_id(self) -> str:
        return str(next(self._ids))

    # ---------------------------------------------------------------- admin
    def create_account(self, name: str, parent_id: str | None = None) -> Account:
        if parent_id is not None and parent_id not in self.accounts:
            raise VenueError("not_found", f"no account {parent_id}")
        if parent_id is not None and self.accounts[parent_id].parent_id is not None:
            raise VenueError("bad_param", "a sub-account cannot have sub-accounts")
        acct = Account(id=str(next(self._uids)), name=name, parent_id=parent_id,
                       created=self.now())
        self.accounts[acct.id] = acct
        return acct

    def account(self, account_id: str) -> Account:
        try:
            return self.accounts[str(account_id)]
        except KeyError:
            raise VenueError("not_found", f"no account {account_id}") from None

    def create_key(self, account_id: str, *, exchange: str, permissions: object = None,
                   ips: list[str] | None = None, expires_at: int | None = None,
                   read_only: bool = False, label: str = "", passphrase: str | None = None,
                   api_key: str | None = None, secret: str | None = None) -> ApiKey:
        self.account(account_id)
        perms = _permissions(exchange, permissions)
        if exchange == "bybit":
            key = api_key or _alnum(18)
            sec = secret or _alnum(36)
            phrase = ""
        else:
            read_only = read_only or perms["perm"] == ["read_only"]
            key = api_key or str(uuid.uuid4())
            sec = secret or secrets.token_hex(16).upper()
            phrase = passphrase if passphrase is not None else "Pass-" + _alnum(10)
        if key in self.keys:
            raise VenueError("bad_param", "api key exists")
        k = ApiKey(api_key=key, secret=sec, exchange=exchange, account_id=str(account_id),
                   permissions=perms, ips=list(ips or []), expires_at=expires_at,
                   read_only=bool(read_only), label=label or "key", passphrase=phrase,
                   created_at=self.wall_ms())
        self.keys[key] = k
        self.accounts[str(account_id)].exchanges.add(exchange)
        return k

    def replace_feed(self, feed: Feed, *, speed: float | None = None) -> None:
        """A new price source; the market clock restarts at the new feed's start. The old
        feed is closed if it has something to close (a live feed's polling thread)."""
        close = getattr(self.feed, "close", None)
        if callable(close) and self.feed is not feed:
            close()
        self.feed = feed
        self.clock = MarketClock(feed.start_ms, self.clock.speed if speed is None else speed)
        self.last_price = D(str(feed.first_open()))


BYBIT_PERMISSION_GROUPS = ("ContractTrade", "Spot", "Wallet", "Options", "Derivatives",
                           "CopyTrading", "BlockTrade", "Exchange", "NFT", "Affiliate", "Earn")


def _names(value: object, what: str) -> list[str]:
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise VenueError("bad_param", f"{what} must be a list of names")
    return list(value)


def _permissions(exchange: str, permissions: object) -> dict[str, list[str]]:
    """A key's permissions as stored: Bybit ``{group: [names]}`` (query-api's shape), OKX
    ``{"perm": [names]}`` given as that object, a list, or a comma-separated string."""
    if exchange == "bybit":
        if permissions is None:
            perms: dict[str, list[str]] = {g: [] for g in BYBIT_PERMISSION_GROUPS}
            perms.update(ContractTrade=["Order", "Position"], Spot=["SpotTrade"])
            return perms
        if not isinstance(permissions, dict):
            raise VenueError("bad_param", "bybit permissions are an object")
        return {str(k): _names(v, f"bybit permissions {k}") for k, v in permissions.items()}
    if exchange != "okx":
        raise VenueError("bad_param", "exchange must be bybit or okx")
    if permissions is None:
        perm = ["read_only", "trade"]
    elif isinstance(permissions, dict):
        perm = _names(permissions.get("perm", []), "okx perm")
    elif isinstance(permissions, str):
        perm = [p for p in permissions.split(",") if p]
    else:
        perm = _names(permissions, "okx permissions")
    if "read_only" not in perm:
        perm.insert(0, "read_only")
    return {"perm": perm}


def make_feed(candles: str | None = None, *, seed: int = 1, price: float = 30000.0,
              rebase: bool = True) -> CandleFeed | RandomWalkFeed:
    """A replayed candle file, or (``candles`` None) a seeded random walk from ``price``."""
    return CandleFeed(candles, rebase=rebase) if candles else RandomWalkFeed(seed=seed, price=price)


def build_venue(candles: str | None = None, *, speed: float = 1.0, seed: int = 1,
                price: float = 30000.0, rebase: bool = True, markets: list[Market] | None = None,
                wall_ms: Callable[[], int] | None = None,
                profile: MarketProfile | None = None) -> Venue:
    """A venue on :func:`make_feed`'s feed; the other options go to :class:`Venue`."""
    feed = make_feed(candles, seed=seed, price=price, rebase=rebase)
    return Venue(feed, MarketClock(feed.start_ms, speed), markets=markets, wall_ms=wall_ms,
                 profile=profile)

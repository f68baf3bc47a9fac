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

Margin (one cross wallet, like Bybit's unified account): an order that opens
or adds to a position reserves ``qty*price/leverage`` (linear; inverse:
``qty/price/leverage``) of the settle coin; a position holds ``entry
notional/leverage``. ``available = wallet - order margin - position margin``
(unrealised PnL is not counted). Spot orders lock the coin they spend.

Matching. The market price comes from the feed, one candle at a time. An
incoming limit order that crosses the last price takes liquidity at the last
price (taker fee); a post-only one that would is cancelled instead (Bybit's
``EC_PostOnlyWillTakeLiquidity``); a market order fills at the last price.
Resting orders fill completely, at their own price, in the candle whose range
``[low, high]`` reaches them (volume is ignored). Within one candle the fills
follow DESIGN.md section 3: first the orders that reduce a position
(take-profits), then the others (entries, DCA levels); within each group along
the candle's path (open, then the nearer extreme, the other extreme, close).
A reduce-only order fills at most the position it reduces and is cancelled if
nothing is left to reduce: it never grows or flips a position.
"""

from __future__ import annotations

import heapq
import itertools
import secrets
import string
import time
import uuid
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

D = Decimal
ZERO = D(0)
TEN = D(10)
MAX_CLOSED = 500  # closed orders kept per account (Bybit's realtime window is 500)


def dec(value: object) -> Decimal:
    """Decimal from a JSON value (str, int, float); raises VenueError on garbage."""
    if isinstance(value, Decimal):
        return value
    try:
        d = D(str(value)) if isinstance(value, float) else D(value)  # type: ignore[arg-type]
    except (InvalidOperation, TypeError, ValueError):
        raise VenueError("bad_param", f"not a number: {value!r}") from None
    if not d.is_finite():
        raise VenueError("bad_param", f"not a number: {value!r}")
    return d


def fmt(value: Decimal | None) -> str:
    """A decimal as the exchanges print it: plain notation, no exponent, no trailing zeros."""
    if value is None:
        return ""
    if value == 0:
        return "0"
    s = format(value.normalize(), "f")
    return s


class VenueError(Exception):
    """A business rejection; ``kind`` is mapped to each exchange's code by its layer."""

    def __init__(self, kind: str, message: str = "") -> None:
        super().__init__(message or kind)
        self.kind = kind
        self.message = message or kind


@dataclass(frozen=True)
class Market:
    key: str
    kind: str  # spot | linear | inverse
    base: str
    quote: str
    settle: str
    bybit_symbol: str
    okx_inst_id: str
    okx_ct_val: Decimal  # OKX contract value (base coin for linear, USD for inverse); 1 for spot
    tick: Decimal
    qty_step: Decimal
    min_qty: Decimal
    max_qty: Decimal
    maker_fee: Decimal
    taker_fee: Decimal

    @property
    def bybit_category(self) -> str:
        return self.kind

    @property
    def okx_inst_type(self) -> str:
        return "SPOT" if self.kind == "spot" else "SWAP"

    @property
    def is_derivative(self) -> bool:
        return self.kind != "spot"


def default_markets() -> list[Market]:
    """BTC markets: spot BTC/USDT, USDT perpetual, inverse (coin-margined) perpetual."""
    return [
        Market("BTCUSDT-spot", "spot", "BTC", "USDT", "USDT", "BTCUSDT", "BTC-USDT", D(1),
               D("0.01"), D("0.000001"), D("0.000048"), D("71.73956243"), D("0.001"), D("0.001")),
        Market("BTCUSDT-linear", "linear", "BTC", "USDT", "USDT", "BTCUSDT", "BTC-USDT-SWAP",
               D("0.01"), D("0.10"), D("0.001"), D("0.001"), D("1190.000"), D("0.0002"),
               D("0.00055")),
        Market("BTCUSD-inverse", "inverse", "BTC", "USD", "BTC", "BTCUSD", "BTC-USD-SWAP",
               D(100), D("0.50"), D(1), D(1), D(1000000), D("0.0002"), D("0.00055")),
    ]


def _alnum(n: int) -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(n))


@dataclass
class ApiKey:
    api_key: str
    secret: str
    exchange: str  # bybit | okx
    account_id: str
    permissions: dict  # bybit: {"ContractTrade": [...], ...}; okx: {"perm": [...]}
    ips: list[str]
    expires_at: int | None  # epoch ms (wall clock) or None
    read_only: bool
    label: str
    passphrase: str = ""
    created_at: int = 0

    def expired(self, wall_ms: int) -> bool:
        return self.expires_at is not None and wall_ms >= self.expires_at

    def ip_allowed(self, ip: str) -> bool:
        return not self.ips or "*" in self.ips or ip in self.ips

    def can_trade(self, market: Market) -> bool:
        if self.read_only:
            return False
        if self.exchange == "okx":
            return "trade" in self.permissions.get("perm", [])
        if market.kind == "spot":
            return "SpotTrade" in self.permissions.get("Spot", [])
        return "Order" in self.permissions.get("ContractTrade", [])

    def can_set_position(self) -> bool:
        if self.read_only:
            return False
        if self.exchange == "okx":
            return "trade" in self.permissions.get("perm", [])
        return "Position" in self.permissions.get("ContractTrade", [])

    def public(self) -> dict:
        return {"api_key": self.api_key, "secret": self.secret, "passphrase": self.passphrase,
                "exchange": self.exchange, "account_id": self.account_id,
                "permissions": self.permissions, "ips": self.ips, "expires_at": self.expires_at,
                "read_only": self.read_only, "label": self.label}


@dataclass
class Order:
    id: str
    link_id: str
    account_id: str
    market: Market
    side: str  # buy | sell
    type: str  # limit | market
    tif: str  # GTC | PostOnly | IOC
    price: Decimal | None
    qty: Decimal
    reduce_only: bool
    position_idx: int  # 0 one-way, 1 hedge long, 2 hedge short
    created: int
    updated: int
    source: str = "bybit"
    status: str = "New"  # New | PartiallyFilled | Filled | Cancelled | Rejected
    filled: Decimal = ZERO
    value: Decimal = ZERO  # sum of fill qty * price
    fee: Decimal = ZERO
    fee_coin: str = ""
    reserved: Decimal = ZERO  # margin or spot funds reserved while open
    reject_reason: str = "EC_NoError"
    cancel_type: str = "UNKNOWN"
    last_price_on_created: Decimal | None = None
    seq: int = 0
    tag: str = ""

    @property
    def open(self) -> bool:
        return self.status in ("New", "PartiallyFilled")

    @property
    def leaves(self) -> Decimal:
        return self.qty - self.filled if self.open else ZERO

    @property
    def avg_price(self) -> Decimal | None:
        if self.filled == 0:
            return None
        if self.market.kind == "inverse":
            return self.filled / self.value  # value is sum(qty/price) for inverse
        return self.value / self.filled


@dataclass
class Position:
    market: Market
    idx: int
    side: str = ""  # buy | sell | "" (flat)
    size: Decimal = ZERO
    entry: Decimal = ZERO
    realized: Decimal = ZERO  # cumulative realised PnL incl. fees
    created: int = 0
    updated: int = 0
    leverage: Decimal = TEN

    def margin(self) -> Decimal:
        if self.size == 0:
            return ZERO
        if self.market.kind == "inverse":
            return self.size / self.entry / self.leverage
        return self.size * self.entry / self.leverage

    def upl(self, price: Decimal) -> Decimal:
        if self.size == 0 or price == 0:
            return ZERO
        sign = 1 if self.side == "buy" else -1
        if self.market.kind == "inverse":
            return sign * self.size * (1 / self.entry - 1 / price)
        return sign * self.size * (price - self.entry)


@dataclass
class Execution:
    id: str
    order: Order
    side: str
    price: Decimal
    qty: Decimal
    fee: Decimal
    fee_rate: Decimal
    fee_coin: str
    is_maker: bool
    time: int
    closed_size: Decimal
    pnl: Decimal
    seq: int


@dataclass
class LedgerEntry:
    id: str
    coin: str
    type: str  # TRADE | TRANSFER_IN | TRANSFER_OUT | DEPOSIT | WITHDRAW
    change: Decimal
    cash_flow: Decimal
    fee: Decimal
    balance: Decimal
    time: int
    execution: Execution | None = None
    wallet: str = "trading"
    note: str = ""


@dataclass
class Transfer:
    id: str
    account_id: str
    kind: str  # deposit | withdrawal | transfer
    coin: str
    amount: Decimal
    time: int
    status: str
    from_wallet: str = ""
    to_wallet: str = ""
    tx_id: str = ""
    address: str = ""
    chain: str = "TRX"
    fee: Decimal = ZERO
    to_account_id: str = ""


@dataclass
class Account:
    id: str
    name: str
    parent_id: str | None
    created: int
    wallets: dict = field(default_factory=lambda: {"trading": {}, "funding": {}})
    hedge: dict = field(default_factory=dict)  # market key -> bool
    leverage: dict = field(default_factory=dict)  # market key -> Decimal
    orders: dict = field(default_factory=dict)  # id -> Order (open and recent closed)
    by_link: dict = field(default_factory=dict)  # link id -> Order
    open_orders: dict = field(default_factory=dict)  # id -> Order
    closed_ids: list = field(default_factory=list)
    positions: dict = field(default_factory=dict)  # (market key, idx) -> Position
    executions: list = field(default_factory=list)
    ledger: list = field(default_factory=list)
    transfers: list = field(default_factory=list)

    def balance(self, coin: str, wallet: str = "trading") -> Decimal:
        return self.wallets[wallet].get(coin, ZERO)

    def is_hedge(self, market: Market) -> bool:
        return bool(self.hedge.get(market.key, False))

    def lev(self, market: Market) -> Decimal:
        return self.leverage.get(market.key, D(10))


class Venue:
    """All state of the simulated exchange, and its matching engine."""

    def __init__(self, feed, clock, *, markets: list[Market] | None = None,
                 wall_ms=None) -> None:
        self.feed = feed
        self.clock = clock
        self.markets = {m.key: m for m in (markets or default_markets())}
        self.by_bybit = {(m.kind, m.bybit_symbol): m for m in self.markets.values()}
        self.by_okx = {m.okx_inst_id: m for m in self.markets.values()}
        self.accounts: dict[str, Account] = {}
        self.keys: dict[str, ApiKey] = {}
        self.last_price = D(str(feed.first_open()))
        self.last_candle: tuple | None = None
        self.candles_done = 0
        self._seq = itertools.count(1)
        self._ids = itertools.count(int(time.time() * 1000) * 1000)
        self._uids = itertools.count(100200300)
        self._books: dict[str, tuple[list, list]] = {k: ([], []) for k in self.markets}
        self._wall_fn = wall_ms  # None: the real wall clock (keeps the venue picklable)

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

    def create_key(self, account_id: str, *, exchange: str, permissions=None,
                   ips: list[str] | None = None, expires_at: int | None = None,
                   read_only: bool = False, label: str = "", passphrase: str | None = None,
                   api_key: str | None = None, secret: str | None = None) -> ApiKey:
        self.account(account_id)
        if exchange == "bybit":
            perms = dict(permissions) if permissions is not None else {
                "ContractTrade": ["Order", "Position"], "Spot": ["SpotTrade"], "Wallet": [],
                "Options": [], "Derivatives": [], "CopyTrading": [], "BlockTrade": [],
                "Exchange": [], "NFT": [], "Affiliate": [], "Earn": []}
            if not isinstance(perms, dict):
                raise VenueError("bad_param", "bybit permissions are an object")
            key = api_key or _alnum(18)
            sec = secret or _alnum(36)
            phrase = ""
        elif exchange == "okx":
            if permissions is None:
                perm = ["read_only", "trade"]
            elif isinstance(permissions, dict):
                perm = list(permissions.get("perm", []))
            elif isinstance(permissions, str):
                perm = [p for p in permissions.split(",") if p]
            else:
                perm = list(permissions)
            if "read_only" not in perm:
                perm.insert(0, "read_only")
            perms = {"perm": perm}
            read_only = read_only or perm == ["read_only"]
            key = api_key or str(uuid.uuid4())
            sec = secret or secrets.token_hex(16).upper()
            phrase = passphrase if passphrase is not None else "Pass-" + _alnum(10)
        else:
            raise VenueError("bad_param", "exchange must be bybit or okx")
        if key in self.keys:
            raise VenueError("bad_param", "api key exists")
        k = ApiKey(api_key=key, secret=sec, exchange=exchange, account_id=str(account_id),
                   permissions=perms, ips=list(ips or []), expires_at=expires_at,
                   read_only=bool(read_only), label=label or "key", passphrase=phrase,
                   created_at=self.wall_ms())
        self.keys[key] = k
        return k

    def _book_entry(self, acct: Account, coin: str, type_: str, change: Decimal, *,
                    wallet: str = "trading", cash_flow: Decimal = ZERO, fee: Decimal = ZERO,
                    execution: Execution | None = None, note: str = "") -> None:
        w = acct.wallets[wallet]
        w[coin] = w.get(coin, ZERO) + change
        acct.ledger.append(LedgerEntry(self.next_id(), coin, type_, change, cash_flow, fee,
                                       w[coin], self.now(), execution, wallet, note))

    def deposit(self, account_id: str, coin: str, amount, *, wallet: str = "funding",
                status: str = "success", tx_id: str | None = None) -> Transfer:
        acct = self.account(account_id)
        amt = self._positive(amount)
        self._check_wallet(wallet)
        t = Transfer(self.next_id(), acct.id, "deposit", coin, amt, self.now(), status,
                     to_wallet=wallet, tx_id=tx_id or secrets.token_hex(32))
        acct.transfers.append(t)
        if status == "success":
            kind = "DEPOSIT" if wallet == "funding" else "TRANSFER_IN"
            self._book_entry(acct, coin, kind, amt, wallet=wallet, note="deposit")
        return t

    fund = deposit

    def withdraw(self, account_id: str, coin: str, amount, *, wallet: str = "funding",
                 address: str = "TXsimulatedaddress", status: str = "success") -> Transfer:
        acct = self.account(account_id)
        amt = self._positive(amount)
        self._check_wallet(wallet)
        if self.available(acct, coin, wallet) < amt:
            raise VenueError("insufficient", "insufficient balance to withdraw")
        t = Transfer(self.next_id(), acct.id, "withdrawal", coin, amt, self.now(), status,
                     from_wallet=wallet, address=address, tx_id=secrets.token_hex(32))
        acct.transfers.append(t)
        kind = "WITHDRAW" if wallet == "funding" else "TRANSFER_OUT"
        self._book_entry(acct, coin, kind, -amt, wallet=wallet, note="withdrawal")
        return t

    def transfer(self, account_id: str, coin: str, amount, *, from_wallet: str,
                 to_wallet: str, to_account_id: str | None = None) -> Transfer:
        src = self.account(account_id)
        dst = self.account(to_account_id) if to_account_id else src
        amt = self._positive(amount)
        self._check_wallet(from_wallet)
        self._check_wallet(to_wallet)
        if self.available(src, coin, from_wallet) < amt:
            raise VenueError("insufficient", "insufficient balance to transfer")
        t = Transfer(self.next_id(), src.id, "transfer", coin, amt, self.now(), "SUCCESS",
                     from_wallet=from_wallet, to_wallet=to_wallet, to_account_id=dst.id)
        src.transfers.append(t)
        if dst is not src:
            dst.transfers.append(t)
        self._book_entry(src, coin, "TRANSFER_OUT", -amt, wallet=from_wallet, note="transfer")
        self._book_entry(dst, coin, "TRANSFER_IN", amt, wallet=to_wallet, note="transfer")
        return t

    @staticmethod
    def _check_wallet(wallet: str) -> None:
        if wallet not in ("trading", "funding"):
            raise VenueError("bad_param", "wallet must be trading or funding")

    @staticmethod
    def _positive(amount) -> Decimal:
        amt = dec(amount)
        if amt <= 0:
            raise VenueError("bad_param", "amount must be positive")
        return amt

    # -------------------------------------------------------------- balances
    def reserved(self, acct: Account, coin: str) -> tuple[Decimal, Decimal]:
        """(order reservations, position margin) in ``coin``: O(orders + positions)."""
        orders = sum((o.reserved for o in acct.open_orders.values()
                      if self._reserve_coin(o) == coin), ZERO)
        positions = sum((p.margin() for p in acct.positions.values()
                         if p.market.settle == coin and p.market.is_derivative), ZERO)
        return orders, positions

    def available(self, acct: Account, coin: str, wallet: str = "trading") -> Decimal:
        if wallet != "trading":
            return acct.balance(coin, wallet)
        o, p = self.reserved(acct, coin)
        return acct.balance(coin) - o - p

    @staticmethod
    def _reserve_coin(order: Order) -> str:
        m = order.market
        if m.kind == "spot":
            return m.quote if order.side == "buy" else m.base
        return m.settle

    def position(self, acct: Account, market: Market, idx: int) -> Position:
        key = (market.key, idx)
        pos = acct.positions.get(key)
        if pos is None:
            pos = Position(market, idx, leverage=acct.lev(market), created=self.now())
            acct.positions[key] = pos
        return pos

    # --------------------------------------------------------------- orders
    def place_order(self, acct: Account, market: Market, *, side: str, type_: str, qty,
                    price=None, tif: str = "GTC", reduce_only: bool = False,
                    position_idx: int | None = None, link_id: str = "", source: str = "bybit",
                    tag: str = "") -> Order:
        side = side.lower()
        if side not in ("buy", "sell"):
            raise VenueError("bad_param", "side must be Buy or Sell")
        if type_ not in ("limit", "market"):
            raise VenueError("bad_param", "orderType must be Limit or Market")
        q = dec(qty)
        if q <= 0:
            raise VenueError("bad_param", "qty must be positive")
        if q % market.qty_step != 0:
            raise VenueError("bad_qty", f"qty must be a multiple of {fmt(market.qty_step)}")
        if q < market.min_qty:
            raise VenueError("min_qty", f"qty below the minimum {fmt(market.min_qty)}")
        if q > market.max_qty:
            raise VenueError("bad_qty", "qty above the maximum")
        p = None
        if type_ == "limit":
            if price is None or price == "":
                raise VenueError("bad_param", "price is required for a limit order")
            p = dec(price)
            if p <= 0:
                raise VenueError("bad_param", "price must be positive")
            if p % market.tick != 0:
                raise VenueError("bad_price", f"price must be a multiple of {fmt(market.tick)}")
        if link_id and link_id in acct.by_link:
            raise VenueError("duplicate", "OrderLinkedID is duplicate")
        hedge = acct.is_hedge(market)
        if market.kind == "spot":
            idx = 0
            if reduce_only:
                raise VenueError("bad_param", "reduceOnly is not supported for spot")
        elif hedge:
            if position_idx not in (1, 2):
                raise VenueError("position_idx", "position idx not match position mode")
            idx = position_idx
            if (idx == 1 and side == "sell") or (idx == 2 and side == "buy"):
                reduce_only = True  # a hedge-mode close
        else:
            if position_idx not in (None, 0):
                raise VenueError("position_idx", "position idx not match position mode")
            idx = 0
        now = self.now()
        order = Order(id=self.next_id(), link_id=link_id, account_id=acct.id, market=market,
                      side=side, type=type_, tif=tif, price=p, qty=q, reduce_only=reduce_only,
                      position_idx=idx, created=now, updated=now, source=source,
                      last_price_on_created=self.last_price, seq=next(self._seq), tag=tag)
        if reduce_only:
            pos = self._reducible(acct, order)
            if pos is None or pos.size == 0:
                raise VenueError("reduce_only", "Reduce-only rule not satisfied")
        last = self.last_price
        crosses = p is None or (side == "buy" and p >= last) or (side == "sell" and p <= last)
        if type_ == "limit" and tif == "PostOnly" and crosses:
            order.status = "Cancelled"
            order.reject_reason = "EC_PostOnlyWillTakeLiquidity"
            order.cancel_type = "CancelByPostOnly"
            self._remember(acct, order)
            return order
        fill_price = last if crosses else p
        need = self._requirement(acct, order, fill_price if crosses else p)
        coin = self._reserve_coin(order)
        if need > 0 and self.available(acct, coin) < need:
            raise VenueError("insufficient", f"{coin} not enough for new order")
        self._remember(acct, order)
        if crosses:
            self._fill(acct, order, fill_price, maker=False)
            if order.open:  # IOC remainder, or a reduce-only clipped to the position
                self._finish(acct, order, "Cancelled" if order.filled == 0 else
                             "PartiallyFilledCanceled", cancel_type="UNKNOWN")
        elif tif == "IOC":
            self._finish(acct, order, "Cancelled", cancel_type="UNKNOWN")
        else:
            order.reserved = need
            acct.open_orders[order.id] = order
            self._rest(order)
        return order

    def _remember(self, acct: Account, order: Order) -> None:
        acct.orders[order.id] = order
        if order.link_id:
            acct.by_link[order.link_id] = order
        if not order.open:
            self._closed(acct, order)

    def _closed(self, acct: Account, order: Order) -> None:
        acct.closed_ids.append(order.id)
        if len(acct.closed_ids) > 2 * MAX_CLOSED:
            drop, acct.closed_ids = acct.closed_ids[:-MAX_CLOSED], acct.closed_ids[-MAX_CLOSED:]
            for oid in drop:
                acct.orders.pop(oid, None)  # link ids stay reserved: duplicates stay rejected

    def _reducible(self, acct: Account, order: Order) -> Position | None:
        m = order.market
        if order.position_idx in (1, 2):
            return acct.positions.get((m.key, order.position_idx))
        pos = acct.positions.get((m.key, 0))
        if pos is None or pos.size == 0 or pos.side == order.side:
            return None
        return pos

    def _requirement(self, acct: Account, order: Order, price: Decimal) -> Decimal:
        m = order.market
        if m.kind == "spot":
            if order.side == "buy":
                return order.qty * price * (1 + m.taker_fee)
            return order.qty
        if order.reduce_only:
            return ZERO
        qty = order.qty
        if order.position_idx == 0:  # one-way: the part that closes needs no margin
            pos = acct.positions.get((m.key, 0))
            if pos is not None and pos.size > 0 and pos.side != order.side:
                qty = max(ZERO, qty - pos.size)
        lev = acct.lev(m)
        if m.kind == "inverse":
            return qty / price / lev + qty / price * m.taker_fee
        return qty * price / lev + qty * price * m.taker_fee

    def cancel_order(self, acct: Account, market: Market | None, *, order_id: str = "",
                     link_id: str = "") -> Order:
        order = self.find_order(acct, order_id=order_id, link_id=link_id)
        if order is None or (market is not None and order.market.key != market.key):
            raise VenueError("not_found", "order not exists or too late to cancel")
        if not order.open:
            raise VenueError("finished", "order not exists or too late to cancel")
        self._finish(acct, order, "Cancelled", cancel_type="CancelByUser")
        return order

    def cancel_all(self, acct: Account, market: Market | None) -> list[Order]:
        out = []
        for order in list(acct.open_orders.values()):
            if market is None or order.market.key == market.key:
                self._finish(acct, order, "Cancelled", cancel_type="CancelByUser")
                out.append(order)
        return out

    def find_order(self, acct: Account, *, order_id: str = "", link_id: str = "") -> Order | None:
        if order_id:
            order = acct.orders.get(order_id)
            if order is not None and link_id and order.link_id != link_id:
                return None
            return order
        if link_id:
            order = acct.by_link.get(link_id)
            if order is not None and order.id in acct.orders:
                return order
        return None

    def _finish(self, acct: Account, order: Order, status: str, *, cancel_type: str) -> None:
        order.status = status
        order.cancel_type = cancel_type
        order.reserved = ZERO
        order.updated = self.now()
        acct.open_orders.pop(order.id, None)
        self._closed(acct, order)

    def closed_orders(self, acct: Account) -> list[Order]:
        return [acct.orders[i] for i in reversed(acct.closed_ids) if i in acct.orders]

    # ---------------------------------------------------------- positions
    def set_position_mode(self, acct: Account, market: Market | None, hedge: bool) -> None:
        """Bybit: per symbol (market given); OKX: account-wide (market None)."""
        targets = [market] if market is not None else [
            m for m in self.markets.values() if m.is_derivative]
        for m in targets:
            if m.kind == "spot":
                raise VenueError("bad_param", "spot has no position mode")
            if market is not None and m.kind == "inverse" and hedge:
                raise VenueError("mode_unsupported", "inverse contracts are one-way only")
            if market is not None and acct.is_hedge(m) == hedge:
                raise VenueError("mode_not_modified", "Position mode is not modified")
            if any(p.size > 0 for (k, _), p in acct.positions.items() if k == m.key):
                raise VenueError("mode_has_position", "You have an existing position")
            if any(o.market.key == m.key for o in acct.open_orders.values()):
                raise VenueError("mode_has_orders", "Open orders exist")
        for m in targets:
            acct.hedge[m.key] = hedge

    def set_leverage(self, acct: Account, market: Market, leverage) -> None:
        lev = dec(leverage)
        if lev < 1 or lev > 100:
            raise VenueError("bad_param", "leverage must be between 1 and 100")
        if acct.lev(market) == lev:
            raise VenueError("leverage_not_modified", "leverage not modified")
        acct.leverage[market.key] = lev
        for (k, _), pos in acct.positions.items():
            if k == market.key:
                pos.leverage = lev

    # -------------------------------------------------------------- matching
    def _rest(self, order: Order) -> None:
        bids, asks = self._books[order.market.key]
        if order.side == "buy":
            heapq.heappush(bids, (-order.price, order.seq, order))
        else:
            heapq.heappush(asks, (order.price, order.seq, order))

    def _process_candle(self, candle: tuple) -> None:
        ts, o, h, low, c = candle
        o_, h_, l_, c_ = (D(str(x)) for x in (o, h, low, c))
        self.last_candle = (ts, o_, h_, l_, c_)
        self.candles_done += 1
        touched = []
        for key, (bids, asks) in self._books.items():
            del key
            while bids and (-bids[0][0] >= l_ or not bids[0][2].open):
                _, _, order = heapq.heappop(bids)
                if order.open:
                    touched.append(order)
            while asks and (asks[0][0] <= h_ or not asks[0][2].open):
                _, _, order = heapq.heappop(asks)
                if order.open:
                    touched.append(order)
        if touched:
            # candle path: o -> nearer extreme -> other extreme -> c
            up_first = (h_ - o_) <= (o_ - l_)

            def path_pos(order: Order) -> tuple:
                p = order.price
                if order.side == "sell":  # reached on the way up
                    first = p <= o_
                    dist = (p - o_) if up_first else (h_ - l_) + (o_ - l_) + (p - l_)
                else:
                    first = p >= o_
                    dist = (o_ - p) if not up_first else (h_ - l_) + (h_ - o_) + (h_ - p)
                return (not order.reduce_only, not first, dist, order.seq)

            touched.sort(key=path_pos)
            for order in touched:
                if not order.open:
                    continue
                acct = self.accounts[order.account_id]
                self.last_price = order.price
                self._fill(acct, order, order.price, maker=True)
                if order.open:  # clipped reduce-only
                    self._finish(acct, order, "Cancelled", cancel_type="CancelByReduceOnly")
        self.last_price = c_

    def _fill(self, acct: Account, order: Order, price: Decimal, *, maker: bool) -> None:
        m = order.market
        qty = order.qty - order.filled
        if order.reduce_only:
            pos = self._reducible(acct, order)
            qty = min(qty, pos.size) if pos is not None else ZERO
            if qty <= 0:
                return
        rate = m.maker_fee if maker else m.taker_fee
        now = self.now()
        closed = ZERO
        pnl = ZERO
        acct.open_orders.pop(order.id, None)  # releases its reservation
        if m.kind == "spot":
            if order.side == "buy":
                fee, fee_coin = qty * rate, m.base
                moves = [(m.quote, -(qty * price), ZERO), (m.base, qty - fee, fee)]
            else:
                fee, fee_coin = qty * price * rate, m.quote
                moves = [(m.base, -qty, ZERO), (m.quote, qty * price - fee, fee)]
        else:
            fee_coin = m.settle
            fee = qty / price * rate if m.kind == "inverse" else qty * price * rate
            pos = self.position(acct, m, order.position_idx)
            remaining = qty
            if pos.size > 0 and pos.side != order.side:
                closed = min(pos.size, remaining)
                if m.kind == "inverse":
                    pnl = closed * (1 / pos.entry - 1 / price)
                else:
                    pnl = closed * (price - pos.entry)
                if pos.side == "sell":
                    pnl = -pnl
                pos.size -= closed
                remaining -= closed
                if pos.size == 0:
                    pos.side = ""
                    pos.entry = ZERO
            if remaining > 0:
                total = pos.size + remaining
                if pos.size == 0:
                    pos.side = order.side
                    pos.entry = price
                elif m.kind == "inverse":
                    pos.entry = total / (pos.size / pos.entry + remaining / price)
                else:
                    pos.entry = (pos.size * pos.entry + remaining * price) / total
                pos.size = total
            pos.realized += pnl - fee
            pos.updated = now
            moves = [(m.settle, pnl - fee, fee)]
        order.filled += qty
        order.value += qty / price if m.kind == "inverse" else qty * price
        order.fee += fee
        order.fee_coin = fee_coin
        order.updated = now
        execution = Execution(self.next_id(), order, order.side, price, qty, fee, rate, fee_coin,
                              maker, now, closed, pnl, next(self._seq))
        acct.executions.append(execution)
        for coin, change, f in moves:
            self._book_entry(acct, coin, "TRADE", change, cash_flow=pnl if f else ZERO, fee=f,
                             execution=execution)
        order.reserved = ZERO
        if order.filled >= order.qty:
            order.status = "Filled"
            self._closed(acct, order)
        else:
            order.status = "PartiallyFilled"  # the caller cancels the rest

"""The generic ccxt adapter; venue subclasses fill in parameters and key introspection."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar

import ccxt.async_support as ccxt_async

from sequence.exchanges.clock import ServerClock, server_clock_for
from sequence.exchanges.config import ExchangeConfig
from sequence.exchanges.domain import (
    Fill,
    KeyInfo,
    LedgerEntry,
    MarginMode,
    Market,
    MarketKind,
    Order,
    OrderRequest,
    Position,
    PositionMode,
    PositionSide,
    Ticker,
    WalletBalance,
)
from sequence.exchanges.errors import (
    ClockSkewError,
    NotSupportedError,
    OrderNotFoundError,
    map_ccxt_error,
)
from sequence.exchanges.guard import AllowListedExchange, Endpoint, install_guard
from sequence.exchanges.ratelimit import TokenBucket, rate_limiter_for
from sequence.exchanges.secret import Credentials

from . import history, parse
from .market_cache import MarketCache, default_market_cache
from .redacting_logger import RedactingLogger

__all__ = ["CcxtAdapter", "MarketCache", "default_market_cache"]



class CcxtAdapter:
    """One account on one venue for one market kind, through an allow-listed ccxt instance."""

    exchange: ClassVar[str]
    kinds: ClassVar[frozenset[MarketKind]] = frozenset(MarketKind)
    wallet_names: ClassVar[dict[MarketKind, str]] = {}
    implicit_methods: ClassVar[frozenset[str]] = frozenset()
    # The exact endpoints (HTTP method, ccxt API section, path template) this adapter's
    # port methods call: anything else is refused before a request is built (guard.py).
    endpoints: ClassVar[frozenset[Endpoint]] = frozenset()
    needs_passphrase: ClassVar[bool] = False

    def __init__(self, config: ExchangeConfig, kind: MarketKind | str,
                 credentials: Credentials | None = None, *,
                 market_cache: MarketCache | None = None, session: Any = None) -> None:
        if config.exchange != self.exchange:
            raise ValueError(f"config is for {config.exchange}, adapter for {self.exchange}")
        self.kind = MarketKind(kind)
        if self.kind not in self.kinds:
            raise NotSupportedError(f"{self.exchange}: {self.kind} markets are not supported",
                                    exchange=self.exchange)
        self.config = config
        self._credentials = credentials
        self._secrets = credentials.values() if credentials else ()
        self._cache = market_cache or default_market_cache()
        self._markets: dict[str, Market] | None = None
        self._raw = self._build(session)
        self._ex = AllowListedExchange(self._raw, self.implicit_methods)
        self._clock: ServerClock = server_clock_for(f"{self.ccxt_id}|{config.api_url or ''}")
        self._raw.options["timeDifference"] = self._clock.time_difference

    # ----------------------------------------------------------------- construction
    @property
    def ccxt_id(self) -> str:
        return self.exchange

    def ccxt_options(self) -> dict[str, Any]:
        return {}

    def _build(self, session: Any) -> Any:
        cls = getattr(ccxt_async, self.ccxt_id)
        cfg: dict[str, Any] = {
            "enableRateLimit": True,
            "timeout": self.config.timeout_ms,
            "options": self.ccxt_options(),
            # trade-only keys may not read currency/coin info; we do not need it
            "has": {"fetchCurrencies": False},
        }
        if session is not None:
            cfg["session"] = session
        creds = self._credentials
        if creds is not None:
            cfg["apiKey"] = creds.api_key.reveal()
            cfg["secret"] = creds.secret.reveal()
            if creds.passphrase is not None:
                cfg["password"] = creds.passphrase.reveal()
        raw = cls(cfg)
        if self.config.api_url:
            self._rebase(raw, self.config.api_url.rstrip("/"))
        # Two limits, as the exchanges set them. Per account: ccxt's own throttle of this
        # instance, with its per-endpoint costs (Bybit's private endpoints: 5 units of 20 ms,
        # about ten a second). Per IP: one request of every account sending from this IP and
        # host takes one token of the shared bucket (Bybit: 600 requests per 5 s). Charging
        # the IP bucket with ccxt's per-account costs had held a whole process to ten private
        # requests a second, the wait the HTTP benchmark saw.
        rate = self.config.rate_per_second or 1000.0 / float(raw.rateLimit or 50)
        host = (self.config.api_url or "").rstrip("/")
        bucket = rate_limiter_for(self.ccxt_id, self.config.egress_ip, rate_per_second=rate,
                                  capacity=self.config.burst or max(rate, 1.0), host=host)
        self.rate_limiter: TokenBucket = bucket
        if self.config.account_rate_scale != 1.0:
            scale = float(self.config.account_rate_scale)
            raw.tokenBucket["refillRate"] = raw.tokenBucket.get("refillRate", 1 / float(raw.rateLimit or 50)) * scale
            if raw.throttler is not None:
                raw.throttler.config["refillRate"] = raw.tokenBucket["refillRate"]
        per_account = raw.throttle if self.config.account_throttle else None

        async def throttle(cost: float | None = None) -> None:
            if per_account is not None:
                await per_account(cost)
            await bucket.acquire(1)

        raw.throttle = throttle
        raw.logger = RedactingLogger(raw.logger, self._secrets)
        install_guard(raw, self.endpoints, self.exchange)
        return raw

    @staticmethod
    def _rebase(raw: Any, base: str) -> None:
        def swap(value: Any) -> Any:
            if isinstance(value, str):
                return re.sub(r"^https?://[^/]+", base, value)
            if isinstance(value, dict):
                return {k: swap(v) for k, v in value.items()}
            return value

        urls = dict(raw.urls)
        urls["api"] = swap(urls["api"])
        raw.urls = urls

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.exchange} {self.kind}>"

    # ----------------------------------------------------------------- plumbing
    async def _call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        method = getattr(self._ex, name)  # the allow-list refuses anything else
        for attempt in (0, 1):
            try:
                return await method(*args, **kwargs)
            except Exception as exc:
                err = map_ccxt_error(exc, self.exchange, self._secrets)
                if isinstance(err, ClockSkewError) and attempt == 0:
                    await self.sync_time(force=True)
                    continue
                raise err from exc
        raise AssertionError("unreachable")  # pragma: no cover

    async def sync_time(self, force: bool = False) -> int:
        """Median server offset of a few samples; shared by all adapters of this venue."""
        if force or (self.config.sync_time and not self._clock.synced):
            try:
                await self._clock.sync(lambda: self._ex.fetch_time(), self._raw.milliseconds,
                                       self.config.time_sync_samples)
            except Exception as exc:
                raise map_ccxt_error(exc, self.exchange, self._secrets) from exc
        self._raw.options["timeDifference"] = self._clock.time_difference
        return self._clock.offset_ms

    async def _private(self) -> None:
        await self.sync_time()
        await self.load_markets()

    # ----------------------------------------------------------------- markets
    def _cache_key(self) -> tuple[Any, ...]:
        return (self.ccxt_id, self.config.api_url or "", self.kind)

    async def load_markets(self) -> Mapping[str, Market]:
        if self._markets is not None:
            return self._markets
        cached = self._cache.get(self._cache_key())
        if cached is not None:
            markets, currencies, parsed, helpers = cached
            self._ex.set_markets(markets, currencies)
            # venue-specific lookup tables ccxt builds while loading (Kraken altnames)
            self._raw.options.update(helpers)
        else:
            await self._call("load_markets")
            parsed = {}
            for m in self._raw.markets.values():
                market = parse.parse_market(m, self._raw.precisionMode)
                if market is not None and market.kind is self.kind:
                    parsed[market.symbol] = market
            helpers = {k: self._raw.options.get(k)
                       for k in self._raw.options.get("marketHelperProps") or ()
                       if k in self._raw.options}
            self._cache.put(self._cache_key(), self._raw.markets, self._raw.currencies, parsed,
                            helpers)
        self._markets = parsed
        return parsed

    # ----------------------------------------------------------------- hooks
    def balance_params(self) -> dict[str, Any]:
        return {}

    def order_params(self, request: OrderRequest) -> dict[str, Any]:
        params: dict[str, Any] = {"clientOrderId": request.client_order_id}
        if request.post_only:
            params["postOnly"] = True
        if request.reduce_only:
            params["reduceOnly"] = True
        return params

    def position_side_of(self, order: dict[str, Any]) -> PositionSide | None:
        return None

    def client_id_of_trade(self, trade: dict[str, Any]) -> str | None:
        return trade.get("clientOrderId")

    def fills_params(self) -> dict[str, Any]:
        return {}

    def ledger_params(self) -> dict[str, Any]:
        return {}

    # ----------------------------------------------------------------- port
    async def fetch_balance(self) -> WalletBalance:
        await self._private()
        raw = await self._call("fetch_balance", self.balance_params())
        return WalletBalance(self.exchange, self.kind, self.wallet_names.get(self.kind, "trading"),
                             parse.parse_balances(raw))

    async def fetch_positions(self, symbols: Sequence[str] | None = None) -> list[Position]:
        if self.kind is MarketKind.SPOT:
            return []
        await self._private()
        raw = await self._call("fetch_positions", list(symbols) if symbols else None,
                               self.positions_params())
        return [p for p in map(parse.parse_position, raw) if p is not None]

    def positions_params(self) -> dict[str, Any]:
        return {}

    def _order(self, raw: dict[str, Any]) -> Order:
        return parse.parse_order(raw, self.position_side_of(raw))

    async def fetch_open_orders(self, symbol: str | None = None) -> list[Order]:
        await self._private()
        raw = await self._call("fetch_open_orders", symbol, None, None,
                               self.open_orders_params())
        return [self._order(o) for o in raw]

    def open_orders_params(self) -> dict[str, Any]:
        return {}

    async def create_order(self, request: OrderRequest) -> Order:
        await self._private()
        raw = await self._call("create_order", request.symbol, "limit", request.side.value,
                               float(request.amount), float(request.price),
                               self.order_params(request))
        order = self._order(raw)
        if order.client_order_id is None:  # most venues echo only the id on create
            order = _replace(order, client_order_id=request.client_order_id)
        return order

    def cancel_params(self, client_order_id: str | None) -> dict[str, Any]:
        return {"clientOrderId": client_order_id} if client_order_id else {}

    async def cancel_order(self, symbol: str, *, order_id: str | None = None,
                           client_order_id: str | None = None) -> None:
        if not order_id and not client_order_id:
            raise ValueError("pass order_id or client_order_id")
        await self._private()
        await self._call("cancel_order", order_id, symbol, self.cancel_params(
            None if order_id else client_order_id))

    async def fetch_order_by_client_id(self, symbol: str, client_order_id: str
                                       ) -> Order | None:
        await self._private()
        try:
            raw = await self._call("fetch_order", None, symbol,
                                   {"clientOrderId": client_order_id})
        except OrderNotFoundError:
            return None
        return self._order(raw) if raw else None

    # ----------------------------------------------------------------- history (paged)
    fills_page_limit: ClassVar[int] = 100
    ledger_page_limit: ClassVar[int] = 100
    # The longest time range the venue answers per request (None: no limit, page forward)
    fills_window_ms: ClassVar[int | None] = None
    ledger_window_ms: ClassVar[int | None] = None

    async def fetch_fills(self, since: datetime, symbol: str | None = None) -> list[Fill]:
        """Every fill since ``since``, all pages, oldest first, each trade id once."""
        await self._private()
        raw = await self.page_history("fetch_my_trades", symbol, parse.ms(since),
                                      self.fills_params(), self.fills_page_limit)
        return [self._fill(t) for t in raw if self.keep_trade(t)]

    def _fill(self, trade: dict[str, Any]) -> Fill:
        return parse.parse_fill(trade, self.client_id_of_trade(trade),
                                self.position_side_of(trade))

    def keep_trade(self, trade: dict[str, Any]) -> bool:
        return True

    async def fetch_ledger(self, since: datetime, currency: str | None = None
                           ) -> list[LedgerEntry]:
        """Every ledger entry since ``since``, all pages, oldest first."""
        await self._private()
        raw = await self.page_history("fetch_ledger", currency, parse.ms(since),
                                      self.ledger_params(), self.ledger_page_limit)
        return [self.parse_ledger(e) for e in raw]

    async def page_history(self, method: str, key: str | None, since_ms: int,
                           params: dict[str, Any], limit: int) -> list[dict[str, Any]]:
        """By bounded time ranges where the venue limits them (:func:`.history.page_by_windows`),
        else forward by time (:func:`.history.page_forward`). Venues that page otherwise
        (cursor, offset, bill id) override this."""
        window = self.fills_window_ms if method == "fetch_my_trades" else self.ledger_window_ms
        if window:
            return await history.page_by_windows(self._call, method, key, since_ms,
                                                 self.server_ms(), params, limit, window,
                                                 self.exchange)
        return await history.page_forward(self._call, method, key, since_ms, params, limit,
                                          self.exchange)

    def server_ms(self) -> int:
        """The venue's clock now (local clock corrected by the synced offset)."""
        return int(self._raw.milliseconds()) - int(self._raw.options.get("timeDifference") or 0)

    def parse_ledger(self, entry: dict[str, Any]) -> LedgerEntry:
        return parse.parse_ledger_entry(entry)

    def symbol_of_id(self, market_id: Any) -> str | None:
        """The unified symbol of one of this adapter's markets by the venue's id (``BTCUSDT``);
        an id of another market is kept as it is (it names no market of ours); None: no id."""
        if not market_id:
            return None
        for market in (self._markets or {}).values():
            if market.exchange_symbol == market_id:
                return market.symbol
        return str(market_id)

    async def fetch_position_mode(self, symbol: str | None = None) -> PositionMode:
        if self.kind is MarketKind.SPOT:
            return PositionMode.ONE_WAY
        await self._private()
        info = await self._call("fetch_position_mode", symbol)
        return PositionMode.HEDGE if info.get("hedged") else PositionMode.ONE_WAY

    async def set_position_mode(self, mode: PositionMode, symbol: str | None = None) -> None:
        if self.kind is MarketKind.SPOT:
            raise NotSupportedError(f"{self.exchange}: spot has no position mode",
                                    exchange=self.exchange)
        await self._private()
        await self._call("set_position_mode", PositionMode(mode) is PositionMode.HEDGE, symbol)

    # ----------------------------------------------------------------- market data
    def ticker_params(self) -> dict[str, Any]:
        return {}

    async def fetch_ticker(self, symbol: str) -> Ticker:
        await self.load_markets()
        raw = await self._call("fetch_ticker", symbol, self.ticker_params())
        return parse.parse_ticker(raw, symbol)

    # ----------------------------------------------------------------- leverage, margin
    def _derivatives_only(self, what: str) -> None:
        if self.kind is MarketKind.SPOT:
            raise NotSupportedError(f"{self.exchange}: spot markets have no {what}",
                                    exchange=self.exchange)

    async def set_leverage(self, symbol: str, leverage: Decimal, *,
                           position_side: PositionSide | None = None) -> None:
        self._derivatives_only("leverage")
        await self._private()
        await self._call("set_leverage", leverage_number(leverage), symbol,
                         self.leverage_params(symbol, position_side))

    def leverage_params(self, symbol: str, position_side: PositionSide | None
                        ) -> dict[str, Any]:
        return {}

    async def set_margin_mode(self, symbol: str, mode: MarginMode) -> None:
        self._derivatives_only("margin mode")
        await self._private()
        await self._call("set_margin_mode", MarginMode(mode).value, symbol,
                         self.margin_mode_params(symbol))

    def margin_mode_params(self, symbol: str) -> dict[str, Any]:
        return {}

    async def fetch_key_info(self) -> KeyInfo:
        raise NotSupportedError(f"{self.exchange}: no key introspection", exchange=self.exchange)

    async def close(self) -> None:
        await self._raw.close()

    async def __aenter__(self) -> CcxtAdapter:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


def leverage_number(leverage: Decimal) -> int | float:
    """ccxt takes a number; whole leverages go as int so "5" is sent, never "5.0"."""
    value = Decimal(leverage)
    if not value.is_finite() or value <= 0:
        raise ValueError("leverage must be a positive number")
    return int(value) if value == value.to_integral_value() else float(value)


def _replace(order: Order, **changes: Any) -> Order:
    from dataclasses import replace

    return replace(order, **changes)

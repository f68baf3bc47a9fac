"""A live price feed: the real exchange's public market data, as 1-minute candles.

:class:`LiveFeed` follows the :class:`~sequence.venue.base.Feed` protocol, so the matching
engine consumes it like a replayed file, at the wall clock (speed 1). It holds no network
code: a :class:`PublicFetcher` is injected (``sequence venue serve --live`` builds one on
ccxt, :mod:`sequence.venue.live_ccxt`), and a background thread polls it every
``poll_seconds``. The polls bring kline rows since the next minute the venue needs (so an
outage is backfilled when the exchange answers again); when the klines fail, the ticker's
last price is polled instead, for candles built from ticks (:mod:`sequence.venue.live_candles`).

The outside world failing never stops the venue: a poll that raises (time-out, 5xx, a
refused connection) or brings only malformed rows is counted and logged, the venue keeps
its last price, and after ``stale_after`` failures in a row, or no new minute for
``stale_minutes``, the feed is **stale**: ``describe()`` (``GET /admin/clock``, ``feed``)
says so and why, and one warning is logged. The first good poll after that clears it and
logs the recovery.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from sequence.core.clock import Clock, SystemClock
from sequence.venue.feed import MINUTE_MS
from sequence.venue.live_candles import CandleBuilder, LiveCandle, as_number

log = logging.getLogger("sequence.venue.live")
MAX_ROWS = 1000  # Bybit's largest kline page: 16 h of minutes backfilled after an outage


class PublicFetcher(Protocol):
    """One market's public data on the real exchange, in ccxt's unified shapes."""

    def fetch_ohlcv(self, since_ms: int, limit: int) -> Sequence[object]:
        """1-minute rows ``[ms, open, high, low, close, volume]`` from ``since_ms`` on."""
        ...

    def fetch_ticker(self) -> Mapping[str, object]:
        """The ticker: ``last`` and ``timestamp`` (ms or None) are read."""
        ...

    def close(self) -> None: ...


def _reason(error: BaseException) -> str:
    text = f"{type(error).__name__}: {error}".strip()
    return text if len(text) <= 300 else text[:297] + "..."


class LiveFeed:
    """Live candles of ``symbol`` on ``exchange`` through ``fetcher``; see the module doc.

    ``clock`` gives the time the polls are stamped with; it must be the venue's market
    clock or agree with it (in production both are the wall clock).
    """

    def __init__(self, fetcher: PublicFetcher | None, *, exchange: str, symbol: str,
                 clock: Clock | None = None, poll_seconds: float = 5.0, stale_after: int = 3,
                 stale_minutes: float = 3.0, settle_ms: int = 2_000,
                 tick_wait_ms: int = 15_000) -> None:
        if poll_seconds <= 0 or stale_after < 1 or stale_minutes <= 0:
            raise ValueError("poll_seconds and stale_minutes must be > 0, stale_after >= 1")
        self.exchange = exchange
        self.symbol = symbol
        self.poll_seconds = float(poll_seconds)
        self.stale_after = int(stale_after)
        self.stale_ms = int(stale_minutes * MINUTE_MS)
        self._fetcher = fetcher
        self._clock: Clock = clock or SystemClock()
        self.start_ms = self._clock.now_ms()
        self._builder = CandleBuilder(self.start_ms, settle_ms=settle_ms,
                                      tick_wait_ms=tick_wait_ms)
        self._first: float | None = None
        self._init_runtime()
        self.polls = 0
        self.failures = 0  # in a row
        self.failed_polls = 0  # in all
        self.last_error = ""
        self.last_ok_ms: int | None = None
        self.stale = False
        self.stale_reason = ""
        self.stale_since_ms: int | None = None
        self.candles = 0  # handed to the venue

    def _init_runtime(self) -> None:
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # ----------------------------------------------------------- the Feed protocol
    def describe(self) -> dict[str, Any]:
        with self._lock:
            b = self._builder
            return {"kind": "live", "exchange": self.exchange, "symbol": self.symbol,
                    "start_ms": self.start_ms, "stale": self.stale,
                    "stale_reason": self.stale_reason, "stale_since_ms": self.stale_since_ms,
                    "polling": self._thread is not None and self._thread.is_alive(),
                    "poll_seconds": self.poll_seconds, "polls": self.polls,
                    "failures_in_a_row": self.failures, "failed_polls": self.failed_polls,
                    "last_error": self.last_error, "last_ok_ms": self.last_ok_ms,
                    "candles": self.candles, "next_ms": b.next_ms, "newest_ms": b.newest_ms,
                    "rejected_rows": b.rejected, "gap_minutes": b.gap_minutes,
                    "candles_from_ticks": b.from_ticks}

    def first_open(self) -> float:
        if self._first is None:
            raise ValueError(f"no price from {self.exchange} {self.symbol} yet")
        return self._first

    def next_start_ms(self) -> int:
        with self._lock:
            return self._builder.next_ms

    def candles_until(self, market_ms: int) -> list[LiveCandle]:
        with self._lock:
            out = self._builder.take(market_ms)
            self.candles += len(out)
            self._check_age(market_ms)
            return out

    # ------------------------------------------------------------------ polling
    def prime(self, attempts: int = 3) -> bool:
        """Fetch a first price (the ticker's last, else the newest kline close); False if
        ``attempts`` tries brought none (then the price must come from elsewhere: :meth:`hold`)."""
        for attempt in range(attempts):
            if self._fetcher is None:
                return False
            if attempt and self._stop.wait(min(2.0, self.poll_seconds)):
                return False
            try:
                price = as_number(self._fetcher.fetch_ticker().get("last"))
                if price is None or price <= 0:  # the newest kline's close will do
                    rows = self._fetcher.fetch_ohlcv(self.start_ms - 5 * MINUTE_MS, 10)
                    closes = [as_number(r[4]) for r in rows
                              if isinstance(r, (list, tuple)) and len(r) > 4]
                    price = closes[-1] if closes else None
                if price is not None and price > 0:
                    with self._lock:
                        self._builder.add_tick(price, at_ms=self._clock.now_ms())
                    self._first = price
                    return True
                self.last_error = "neither the ticker nor the klines gave a price"
            except Exception as e:  # the outside world: any failure is a failed try
                self.last_error = _reason(e)
                log.warning("live prices: no first price from %s %s: %s", self.exchange,
                            self.symbol, self.last_error)
        return False

    def hold(self, price: float) -> None:
        """Start from ``price`` (a saved state's) when :meth:`prime` found none; stale
        until the exchange answers."""
        self._first = float(price)
        with self._lock:
            self._mark_stale(self._clock.now_ms(), "no price from the exchange at start")

    def poll_once(self) -> bool:
        """One poll: klines since the next minute needed, the ticker if they fail. True if
        it brought good data (an empty but well-formed kline page counts as good)."""
        if self._fetcher is None:
            return False
        with self._lock:
            since = self._builder.next_ms
        now = self._clock.now_ms()
        limit = max(2, min(MAX_ROWS, (now - since) // MINUTE_MS + 2))
        error = ""
        ok = False
        try:
            rows = self._fetcher.fetch_ohlcv(since, limit)
            if not isinstance(rows, (list, tuple)):
                raise TypeError(f"klines: a {type(rows).__name__}, not a list of rows")
            with self._lock:
                good = self._builder.add_ohlcv(rows, fetched_ms=self._clock.now_ms())
            ok = good > 0 or not rows
            if not ok:
                error = f"klines: none of {len(rows)} rows is a valid candle"
        except Exception as e:  # the outside world: a failed poll, never a crash
            error = f"klines: {_reason(e)}"
        if not ok:
            try:  # the klines failed: the last price keeps candles coming (from ticks)
                ticker = self._fetcher.fetch_ticker()
                at = ticker.get("timestamp")
                at_ms = at if isinstance(at, int) and not isinstance(at, bool) else None
                with self._lock:
                    ok = self._builder.add_tick(ticker.get("last"),
                                                at_ms=at_ms or self._clock.now_ms())
                if not ok:
                    error += "; ticker: no valid last price"
                else:
                    log.info("live prices: %s %s klines failed (%s); the ticker answered",
                             self.exchange, self.symbol, error)
            except Exception as e:
                error += f"; ticker: {_reason(e)}"
        with self._lock:
            self._record(ok, error, self._clock.now_ms())
        return ok

    def _record(self, ok: bool, error: str, now: int) -> None:
        self.polls += 1
        if ok:
            self.failures = 0
            self.last_ok_ms = now
            self._check_age(now)
            return
        self.failures += 1
        self.failed_polls += 1
        self.last_error = error
        if self.failures >= self.stale_after:
            self._mark_stale(now, f"{self.failures} polls failed in a row (last: {error})",
                             quiet=self.stale)
        else:
            log.info("live prices: poll of %s %s failed (%d/%d): %s", self.exchange,
                     self.symbol, self.failures, self.stale_after, error)

    def _check_age(self, now: int) -> None:
        """Stale when no new minute came for ``stale_ms``; fresh again when polls succeed and
        data is recent."""
        newest = self._builder.newest_ms
        age = now - (newest + MINUTE_MS if newest is not None else self.start_ms)
        if age > self.stale_ms:
            self._mark_stale(now, f"no new minute for {age // 1000} s", quiet=self.stale)
        elif self.stale and self.failures == 0 and self.last_ok_ms is not None:
            log.warning("live prices: %s %s back after %.0f s stale", self.exchange,
                        self.symbol, (now - (self.stale_since_ms or now)) / 1000)
            self.stale = False
            self.stale_reason = ""
            self.stale_since_ms = None

    def _mark_stale(self, now: int, reason: str, *, quiet: bool = False) -> None:
        if not self.stale:
            self.stale_since_ms = now
            log.warning("live prices: %s %s STALE: %s; the venue holds its last price",
                        self.exchange, self.symbol, reason)
        elif not quiet:
            log.info("live prices: %s %s still stale: %s", self.exchange, self.symbol, reason)
        self.stale = True
        self.stale_reason = reason

    def start(self) -> None:
        """Poll in a daemon thread (at once, then every ``poll_seconds``) until :meth:`close`."""
        if self._thread is not None or self._fetcher is None or self._stop.is_set():
            return

        fetcher = self._fetcher

        def run() -> None:
            try:
                while not self._stop.is_set():
                    try:
                        self.poll_once()
                    except Exception:  # a bug of ours must not end the polling either
                        log.exception("live prices: poll crashed")
                    self._stop.wait(self.poll_seconds)
            finally:
                fetcher.close()

        self._thread = threading.Thread(target=run, name="venue-live-feed", daemon=True)
        self._thread.start()

    def close(self, wait_seconds: float = 1.0) -> None:
        """Stop polling. Waits at most ``wait_seconds`` for a poll under way (the venue's
        event loop may be the caller: ``POST /admin/feed``); the thread ends after it."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(wait_seconds)
        elif self._fetcher is not None:
            self._fetcher.close()

    # ------------------------------------------------------------------ pickling
    def __getstate__(self) -> dict[str, Any]:
        """A saved venue keeps the feed's figures, not its fetcher or thread: a restored
        live feed is detached (no polls) until ``serve --live`` replaces it."""
        state = dict(self.__dict__)
        for name in ("_lock", "_stop", "_thread", "_fetcher", "_clock"):
            state.pop(name, None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._fetcher = None
        self._clock = SystemClock()
        self._init_runtime()

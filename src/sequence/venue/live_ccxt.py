"""The live feed's network side: a :class:`~sequence.venue.live_feed.PublicFetcher` on ccxt.

Public market data only: no API key is ever given to it. ccxt's own rate limiter is on
(``enableRateLimit``: it spaces the calls by the exchange's ``rateLimit``), every call has
a ``timeout_ms`` time-out, and ``api_url`` replaces the real exchange's host (a test points
it at a simulated exchange; ``sequence venue serve --live-url`` / ``PAPER_VENUE_LIVE_URL``).
Only ``sequence venue serve`` builds one (:func:`live_choice` reads its flags and the
``PAPER_VENUE_*`` environment, :func:`open_live_feed` builds the feed); the matching engine
never sees ccxt.
"""

from __future__ import annotations

from argparse import Namespace
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sequence.venue.live_feed import LiveFeed

LIVE_EXCHANGES = ("bybit", "okx")  # the protocols the simulated exchange speaks too
DEFAULT_SYMBOL = "BTC/USDT:USDT"


def _market_types(exchange: str, symbol: str) -> list[str]:
    """Only the markets of the symbol's kind are loaded (fewer requests at start)."""
    base_quote, _, settle = symbol.partition(":")
    if exchange == "okx":
        return ["swap"] if settle else ["spot"]
    if not settle:
        return ["spot"]
    return ["linear"] if base_quote.endswith("/" + settle) else ["inverse"]


class CcxtFetcher:
    """``exchange``'s public klines and ticker of ``symbol`` through ccxt (synchronous: the
    live feed polls from its own thread)."""

    def __init__(self, exchange: str, symbol: str = DEFAULT_SYMBOL, *,
                 api_url: str | None = None, timeout_ms: int = 10_000) -> None:
        if exchange not in LIVE_EXCHANGES:
            raise ValueError(f"no live prices from {exchange!r}: expected one of "
                             f"{', '.join(LIVE_EXCHANGES)}")
        if "/" not in symbol:
            raise ValueError(f"{symbol!r} is not a ccxt symbol (BTC/USDT:USDT, BTC/USDT, ...)")
        if api_url is not None and not api_url.startswith(("http://", "https://")):
            raise ValueError(f"the live feed's URL must be http(s): {api_url!r}")
        import ccxt

        self.exchange = exchange
        self.symbol = symbol
        options: dict[str, Any] = {"fetchMarkets": {"types": _market_types(exchange, symbol)}}
        self._ex: Any = getattr(ccxt, exchange)({"enableRateLimit": True, "timeout": timeout_ms,
                                                 "options": options})
        self._ex.has["fetchCurrencies"] = False  # a keyed endpoint: markets suffice
        if api_url:
            url = api_url.rstrip("/")
            if exchange == "bybit":
                self._ex.urls["api"] = dict.fromkeys(self._ex.urls["api"], url)
            else:
                self._ex.urls["api"] = {"rest": url}

    def _markets(self) -> None:
        if not self._ex.markets:
            self._ex.load_markets()  # once; a failure is retried by the next poll

    def fetch_ohlcv(self, since_ms: int, limit: int) -> Sequence[object]:
        self._markets()
        rows: Sequence[object] = self._ex.fetch_ohlcv(self.symbol, "1m", since_ms, limit)
        return rows

    def fetch_ticker(self) -> Mapping[str, object]:
        self._markets()
        ticker: Mapping[str, object] = self._ex.fetch_ticker(self.symbol)
        return ticker

    def close(self) -> None:
        session = getattr(self._ex, "session", None)
        if session is not None:
            session.close()


@dataclass(frozen=True)
class LiveChoice:
    """Where live prices come from: ``exchange``'s ``symbol`` at ``url`` (None: the real API);
    ``note``: what the environment overrode on the command line, to tell the operator."""

    exchange: str
    symbol: str
    url: str | None
    note: str = ""


def live_choice(args: Namespace, environ: Mapping[str, str]) -> LiveChoice | None:
    """The live feed that ``--live`` or ``PAPER_VENUE_FEED=live:EXCHANGE`` asks for, or None
    (replayed candles or a random walk). Contradictory flags raise ValueError."""
    setting = environ.get("PAPER_VENUE_FEED", "").strip()
    exchange = args.live
    note = ""
    if exchange is not None:
        if args.candles:
            raise ValueError("--live and --candles: give one price source")
        if args.speed != 1:
            raise ValueError("--live prices run at the wall clock: --speed must be 1")
    elif setting and setting != "replay":
        kind, _, name = setting.partition(":")
        if kind != "live" or name not in LIVE_EXCHANGES:
            raise ValueError(f"PAPER_VENUE_FEED={setting!r}: expected replay or one of "
                             + ", ".join(f"live:{e}" for e in LIVE_EXCHANGES))
        exchange = name
        if args.candles or args.speed != 1:
            note = (f"PAPER_VENUE_FEED={setting}: live {name} prices at the wall clock, in "
                    "place of --candles / --speed")
    if exchange is None:
        return None
    symbol = args.symbol or environ.get("PAPER_VENUE_SYMBOL", "").strip() or DEFAULT_SYMBOL
    url = args.live_url or environ.get("PAPER_VENUE_LIVE_URL", "").strip() or None
    return LiveChoice(exchange, symbol, url, note)


def open_live_feed(choice: LiveChoice, *, poll_seconds: float) -> LiveFeed:
    """A live feed on ccxt with a first price fetched (``feed.first_open()``), or, if the
    exchange gave none, one whose ``prime()`` failed: the caller decides (see ``_serve``)."""
    fetcher = CcxtFetcher(choice.exchange, choice.symbol, api_url=choice.url)
    feed = LiveFeed(fetcher, exchange=choice.exchange, symbol=choice.symbol,
                    poll_seconds=poll_seconds)
    feed.prime()
    return feed

"""The live feed's candle building and failure handling, without a network.

Recorded real Bybit replies (tests/data/ccxt/response/bybit.json, ccxt's static fixtures) go
through real ccxt, only its HTTP transport swapped for the recording, into our fetcher and
the candle builder; the rules themselves are checked on rows written here, bad ones too.
"""

from __future__ import annotations

import json
import pickle
import threading
from urllib.parse import parse_qsl, urlsplit

import pytest

from sequence.core.clock import ManualClock
from sequence.venue.engine import Venue
from sequence.venue.feed import MINUTE_MS, MarketClock
from sequence.venue.live_candles import CandleBuilder, parse_ohlcv_row
from sequence.venue.live_ccxt import CcxtFetcher
from sequence.venue.live_feed import LiveFeed
from tests.exchanges.fakehttp import fixture_case, local

M = MINUTE_MS
T0 = 1_700_000_040_000  # a minute's start
KLINE = fixture_case("bybit", "fetchOHLCV", "swap ohlcv with since and limit")
TICKER = fixture_case("bybit", "fetchTicker", "swap ticker")
INSTRUMENTS = local("bybit_instruments.json")


def recorded_fetcher(*, kline_status: int = 200) -> CcxtFetcher:
    """Our ccxt fetcher whose HTTP replies are the recordings (kline: or that status)."""
    fetcher = CcxtFetcher("bybit", "BTC/USDT:USDT")
    ex = fetcher._ex

    def fetch(url, method="GET", headers=None, body=None):
        parts = urlsplit(url)
        query = dict(parse_qsl(parts.query))
        status, reply = 200, None
        if parts.path == "/v5/market/instruments-info":
            reply = INSTRUMENTS[query["category"]] if "status" not in query else INSTRUMENTS["empty"]
        elif parts.path == "/v5/market/kline":
            status, reply = kline_status, KLINE["httpResponse"]
        elif parts.path == "/v5/market/tickers":
            reply = TICKER["httpResponse"]
        else:
            raise AssertionError(f"unexpected request {url}")
        text = json.dumps(reply) if status == 200 else "<html>502 Bad Gateway</html>"
        ex.handle_errors(status, "", url, method, {}, text, reply if status == 200 else None,
                         headers, body)
        ex.handle_http_status_code(status, "", url, method, text)
        return reply

    ex.fetch = fetch
    return fetcher


def test_a_recorded_bybit_kline_reply_becomes_candles_and_its_gaps_are_skipped():
    since = KLINE["input"][2]
    rows = recorded_fetcher().fetch_ohlcv(since, 3)
    assert rows == KLINE["parsedResponse"]  # ccxt read the recording as ccxt says it does
    first = rows[0][0]
    builder = CandleBuilder(first)
    fetched = int(KLINE["httpResponse"]["time"])
    assert builder.add_ohlcv(rows, fetched_ms=fetched) == 3
    # its rows are an hour apart: to a 1-minute builder the minutes between are gaps, skipped
    # (no candle invented for them), so the price holds through them
    out = builder.take(rows[-1][0] + M)
    assert out == [tuple(r) for r in KLINE["parsedResponse"]]
    assert builder.gap_minutes == 2 * 59 and builder.from_ticks == 0
    assert builder.next_ms == rows[-1][0] + M


def test_klines_failing_a_recorded_ticker_builds_the_minute_from_ticks():
    """Bybit's ticker carries no time (ccxt's timestamp is None): a tick is stamped when it
    was fetched. The kline endpoint answering 502 is a failed kline poll, not a crash."""
    fetched = int(TICKER["httpResponse"]["time"])
    clock = ManualClock(fetched)
    feed = LiveFeed(recorded_fetcher(kline_status=502), exchange="bybit",
                    symbol="BTC/USDT:USDT", clock=clock, tick_wait_ms=15_000)
    assert feed.poll_once() is True  # the ticker answered
    assert TICKER["parsedResponse"]["timestamp"] is None
    minute = fetched - fetched % M
    clock.set(minute + M + 1_000)
    assert feed.poll_once() is True  # and still does, in the next minute
    clock.set(minute + M + 14_999)
    assert feed.candles_until(clock.now_ms()) == []  # the klines still have time to come
    clock.set(minute + M + 15_000)
    last = TICKER["parsedResponse"]["last"]
    assert feed.candles_until(clock.now_ms()) == [(minute, last, last, last, last, None)]
    info = feed.describe()
    assert info["candles_from_ticks"] == 1 and info["failures_in_a_row"] == 0


@pytest.mark.parametrize("row", [
    None, "garbage", [T0, 1, 2], [T0 + 1, 10, 11, 9, 10, 1], [T0, 10, 9, 11, 10, 1],
    [T0, 10, 11, 9, 12, 1], [T0, 10, 11, 9.5, 9, 1], [T0, 10, 11, 9, 10, -1],
    [T0, float("nan"), 11, 9, 10, 1], [T0, 0, 11, 9, 10, 1], [T0, 10, 11, 9, 10, "x"],
    [True, 10, 11, 9, 10, 1], [T0 + 10 * M, 10, 11, 9, 10, 1], [str(T0), None, 11, 9, 10, 1],
], ids=["none", "text", "short", "off-minute", "high-below-low", "close-above-high",
        "close-below-low", "negative-volume", "nan", "zero-price", "bad-volume", "bool-time",
        "future", "missing-open"])
def test_bad_rows_are_dropped_and_counted(row):
    assert parse_ohlcv_row(row, fetched_ms=T0 + 2 * M) is None
    builder = CandleBuilder(T0)
    good = [T0 + M, 10, 11, 9, 10.5, 2]
    assert builder.add_ohlcv([row, good], fetched_ms=T0 + 3 * M) == 1
    assert builder.rejected == 1
    assert builder.take(T0 + 3 * M) == [(T0 + M, 10.0, 11.0, 9.0, 10.5, 2.0)]


def test_good_rows_parse_with_strings_and_without_volume():
    assert parse_ohlcv_row([str(T0), "10", "11", "9", "10.5"], fetched_ms=T0) == (
        T0, 10.0, 11.0, 9.0, 10.5, None)
    assert parse_ohlcv_row([T0, 10, 11, 9, 10.5, None], fetched_ms=T0)[5] is None


def test_the_minute_in_progress_waits_until_final():
    b = CandleBuilder(T0, settle_ms=2_000)
    b.add_ohlcv([[T0, 10, 11, 9, 10, 1]], fetched_ms=T0 + 30_000)  # in progress
    assert b.take(T0 + M) == []  # over, but the row was read mid-minute
    b.add_ohlcv([[T0, 10, 12, 9, 11, 3]], fetched_ms=T0 + M + 500)  # too soon after its end
    assert b.take(T0 + M + 500) == []
    # the next reply holds the next minute: the row for T0 is final, with its last values
    b.add_ohlcv([[T0, 10, 12, 8, 11, 4], [T0 + M, 11, 11, 11, 11, 0.1]], fetched_ms=T0 + M + 900)
    assert b.take(T0 + M + 900) == [(T0, 10.0, 12.0, 8.0, 11.0, 4.0)]
    # a row fetched settle_ms after its end is final by itself (an exchange serving only
    # closed minutes, as the simulated one does)
    b.add_ohlcv([[T0 + M, 11, 13, 10, 12, 2]], fetched_ms=T0 + 2 * M + 2_000)
    assert b.take(T0 + 2 * M + 2_000) == [(T0 + M, 11.0, 13.0, 10.0, 12.0, 2.0)]
    # handed out once: the same rows again are ignored
    b.add_ohlcv([[T0, 10, 12, 8, 11, 4], [T0 + M, 11, 13, 10, 12, 2]], fetched_ms=T0 + 3 * M)
    assert b.take(T0 + 3 * M) == []


def test_an_upstream_gap_is_skipped_and_ticks_fill_what_klines_lack():
    b = CandleBuilder(T0, tick_wait_ms=10_000)
    b.add_tick(100.0, at_ms=T0 + 1_000)
    b.add_tick(103.0, at_ms=T0 + 20_000)
    b.add_tick(99.0, at_ms=T0 + 40_000)
    b.add_tick(101.0, at_ms=T0 + 59_000)
    assert b.add_tick("nonsense", at_ms=T0 + 59_500) is False and b.rejected == 1
    assert b.take(T0 + M + 10_000) == []  # is the ticker still there? (see the next test)
    b.add_tick(101.5, at_ms=T0 + M + 5_000)
    assert b.take(T0 + M + 9_999) == []  # klines may still come
    assert b.take(T0 + M + 10_000) == [(T0, 100.0, 103.0, 99.0, 101.0, None)]
    # minutes T0+2..T0+3 never come; T0+4 and T0+5 do (T0+5 makes T0+4 final); the tick of
    # T0+1 stands in for it, the exchange having no row for it
    b.add_ohlcv([[T0 + 4 * M, 1, 2, 1, 2, 5], [T0 + 5 * M, 2, 2, 2, 2, 1]],
                fetched_ms=T0 + 5 * M + 1_000)
    assert b.take(T0 + 5 * M + 1_000) == [(T0 + M, 101.5, 101.5, 101.5, 101.5, None),
                                          (T0 + 4 * M, 1.0, 2.0, 1.0, 2.0, 5.0)]
    assert b.gap_minutes == 2 and b.from_ticks == 2
    # klines in time win over ticks of the same minute
    b.add_tick(50.0, at_ms=T0 + 5 * M + 2_000)
    b.add_ohlcv([[T0 + 5 * M, 2, 3, 2, 3, 1], [T0 + 6 * M, 3, 3, 3, 3, 1]],
                fetched_ms=T0 + 6 * M + 1_000)
    assert b.take(T0 + 6 * M + 1_000) == [(T0 + 5 * M, 2.0, 3.0, 2.0, 3.0, 1.0)]


def test_a_tick_seen_before_a_whole_outage_does_not_replace_the_klines():
    """One kline poll failed while the ticker answered, then everything failed: the minute
    waits (however long) for its real row instead of a one-tick stand-in."""
    b = CandleBuilder(T0, tick_wait_ms=10_000)
    b.add_tick(100.0, at_ms=T0 + 30_000)
    assert b.take(T0 + 10 * M) == []
    b.add_ohlcv([[T0 + i * M, 100, 102, 98, 101, 1] for i in range(10)],
                fetched_ms=T0 + 10 * M + 2_000)
    assert [c[0] for c in b.take(T0 + 10 * M + 2_000)] == [T0 + i * M for i in range(10)]
    assert b.from_ticks == 0 and b.gap_minutes == 0


class ScriptedFetcher:
    """Answers from a script: each item is rows, a ticker dict, or an exception to raise."""

    def __init__(self) -> None:
        self.klines: list = []
        self.tickers: list = []
        self.closed = False

    def _next(self, script):
        item = script.pop(0) if len(script) > 1 else script[0]
        if isinstance(item, BaseException):
            raise item
        return item

    def fetch_ohlcv(self, since_ms, limit):
        return self._next(self.klines)

    def fetch_ticker(self):
        return self._next(self.tickers)

    def close(self):
        self.closed = True


def test_failures_make_the_feed_stale_and_good_data_clears_it(caplog):
    clock = ManualClock(T0 + 5_000)
    f = ScriptedFetcher()
    f.tickers = [{"last": 100.0, "timestamp": None}]
    feed = LiveFeed(f, exchange="bybit", symbol="BTC/USDT:USDT", clock=clock, stale_after=3)
    assert feed.prime() and feed.first_open() == 100.0
    f.klines = [TimeoutError("read timed out"), {"retCode": 0}, [[None, "x"], "junk"],
                [[T0, 100, 101, 99, 100.5, 1]]]
    f.tickers = [ConnectionError("refused"), {"last": None}, {"last": "nan"},
                 {"last": 100.0, "timestamp": None}]
    with caplog.at_level("INFO", logger="sequence.venue.live"):
        assert feed.poll_once() is False
        assert feed.poll_once() is False
        assert not feed.describe()["stale"]
        assert feed.poll_once() is False
    info = feed.describe()
    assert info["stale"] and info["failures_in_a_row"] == 3
    assert "3 polls failed in a row" in info["stale_reason"]
    assert "none of 2 rows is a valid candle" in info["last_error"]
    assert "ticker: no valid last price" in info["last_error"]
    assert info["rejected_rows"] == 4  # the two rows, the None and the "nan" prices
    stale_lines = [r for r in caplog.records if "STALE" in r.getMessage()]
    assert len(stale_lines) == 1 and stale_lines[0].levelname == "WARNING"
    assert "the venue holds its last price" in stale_lines[0].getMessage()
    caplog.clear()
    clock.set(T0 + M + 3_000)
    with caplog.at_level("INFO", logger="sequence.venue.live"):
        assert feed.poll_once() is True
    assert not feed.describe()["stale"] and feed.describe()["failures_in_a_row"] == 0
    assert any("back after" in r.getMessage() for r in caplog.records)
    assert feed.candles_until(clock.now_ms()) == [(T0, 100.0, 101.0, 99.0, 100.5, 1.0)]


def test_an_exchange_that_answers_but_brings_nothing_new_goes_stale_by_age():
    clock = ManualClock(T0)
    f = ScriptedFetcher()
    f.klines = [[]]  # a well-formed, empty page, forever
    f.tickers = [{"last": 100.0, "timestamp": None}]
    feed = LiveFeed(f, exchange="bybit", symbol="BTC/USDT:USDT", clock=clock, stale_minutes=3)
    assert feed.prime()
    clock.set(T0 + 4 * M - 1)
    assert feed.poll_once() is True and not feed.describe()["stale"]
    clock.set(T0 + 4 * M + 1)
    assert feed.candles_until(clock.now_ms()) == []  # nothing came: the price holds
    info = feed.describe()
    assert info["stale"] and info["stale_reason"].startswith("no new minute for")
    f.klines = [[[T0 + 4 * M, 100, 100, 100, 100, 0]]]
    assert feed.poll_once() is True and not feed.describe()["stale"]


def test_a_hanging_exchange_never_blocks_the_venue():
    """The matching engine reads candles while a poll hangs in the network: it must not wait."""
    release = threading.Event()
    entered = threading.Event()

    class Hanging(ScriptedFetcher):
        def fetch_ohlcv(self, since_ms, limit):
            entered.set()
            release.wait(30)
            return []

    clock = ManualClock(T0)
    f = Hanging()
    f.tickers = [{"last": 100.0, "timestamp": None}]
    feed = LiveFeed(f, exchange="bybit", symbol="BTC/USDT:USDT", clock=clock, poll_seconds=60)
    assert feed.prime()
    venue = Venue(feed, MarketClock(T0, 0, wall=clock))
    feed.start()
    try:
        assert entered.wait(10)
        done = threading.Event()
        threading.Thread(target=lambda: (venue.sync(), feed.describe(), done.set()),
                         daemon=True).start()
        assert done.wait(10), "the venue waited on the network"
    finally:
        release.set()
        feed.close()
    assert f.closed


def test_a_saved_live_venue_restores_detached():
    clock = ManualClock(T0)
    f = ScriptedFetcher()
    f.tickers = [{"last": 123.5, "timestamp": None}]
    feed = LiveFeed(f, exchange="bybit", symbol="BTC/USDT:USDT", clock=clock)
    assert feed.prime()
    venue = Venue(feed, MarketClock(T0, 1))
    restored = pickle.loads(pickle.dumps(venue))  # noqa: S301 - our own bytes
    assert str(restored.last_price) == "123.5"
    info = restored.feed.describe()
    assert info["kind"] == "live" and info["polling"] is False
    assert restored.feed.poll_once() is False  # nothing to poll with: serve --live replaces it

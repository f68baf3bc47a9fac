"""A venue on live prices, over HTTP through real ccxt, from a stand-in "real exchange".

There is no internet here, so the real exchange is our own simulated exchange replaying a
candle file and speaking Bybit's (or OKX's) public protocol over HTTP: the *upstream*. The
venue under test polls it through real ccxt (:class:`CcxtFetcher`), exactly as it would poll
api.bybit.com. Both run on one market clock at SPEED x the wall clock, so a minute passes
in a second; production runs the same code at speed 1.
"""

from __future__ import annotations

import contextlib
import json
import math
import socket
import subprocess
import sys
import time
import urllib.request
from decimal import Decimal
from pathlib import Path

import ccxt
import pytest

from sequence.core.candles import load_rows
from sequence.runtime import process_types
from sequence.venue import running_venue
from sequence.venue.cli import main
from sequence.venue.client import RAISED_LIMITS, AdminClient, serving
from sequence.venue.engine import Venue
from sequence.venue.feed import MINUTE_MS, CandleFeed, MarketClock
from sequence.venue.live_ccxt import CcxtFetcher
from sequence.venue.live_feed import LiveFeed
from sequence.venue.profile import MarketProfile
from tests.support.eventually import eventually
from tests.support.strategy_data import MAIN_SET

CANDLES = str(MAIN_SET)
SPEED = 60.0  # market minutes per wall second, upstream and live venue alike
SYMBOL = "BTC/USDT:USDT"
SRC = Path(__file__).resolve().parents[2] / "src"


def get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as r:  # noqa: S310 - loopback
        return json.loads(r.read())["result"]


def klines(url: str) -> dict[int, tuple[Decimal, ...]]:
    """A venue's 1-minute BTCUSDT linear klines, as its Bybit endpoint serves them."""
    rows = get(f"{url}/v5/market/kline?category=linear&symbol=BTCUSDT&interval=1&limit=1000")
    return {int(row[0]): tuple(Decimal(x) for x in row[1:6]) for row in rows["list"]}


def ticker_last(url: str) -> Decimal:
    rows = get(f"{url}/v5/market/tickers?category=linear&symbol=BTCUSDT")["list"]
    return Decimal(rows[0]["lastPrice"])


def newest(url: str) -> int:
    rows = klines(url)
    return max(rows) if rows else 0


class LivePair:
    """The upstream (a served candle-file venue) and the live venue polling it."""

    def __init__(self, exchange: str, *, poll: float, timeout_ms: int) -> None:
        upstream_feed = CandleFeed(CANDLES, now_ms=int(time.time() * 1000))
        self.clock = MarketClock(upstream_feed.start_ms, SPEED)
        self.upstream = Venue(upstream_feed, self.clock)  # the real rate limits, as Bybit's
        offset = upstream_feed.start_ms - load_rows(CANDLES)[0][0]
        self.rows = [(r[0] + offset, *r[1:]) for r in load_rows(CANDLES)[:3000]]
        self._stack = contextlib.ExitStack()
        self._up_cm = serving(self.upstream)
        self.up = self._up_cm.__enter__()
        self.feed = LiveFeed(CcxtFetcher(exchange, SYMBOL, api_url=self.up.url,
                                         timeout_ms=timeout_ms),
                             exchange=exchange, symbol=SYMBOL, clock=self.clock,
                             poll_seconds=poll, stale_after=3, stale_minutes=10)
        assert self.feed.prime(), self.feed.last_error
        self.live = Venue(self.feed, self.clock, profile=MarketProfile.ideal())
        self.live.limits.configure(scale=RAISED_LIMITS)
        self.down = self._stack.enter_context(serving(self.live))
        self.feed.start()

    def feed_info(self) -> dict:
        return self.down.admin.clock()["feed"]

    def stop_upstream(self) -> None:
        self._up_cm.__exit__(None, None, None)
        self._up_cm = None

    def restart_upstream(self) -> None:
        self._up_cm = serving(self.upstream, port=self.up.port)
        self._up_cm.__enter__()

    def close(self) -> None:
        self.feed.close()
        self._stack.close()
        if self._up_cm is not None:
            self._up_cm.__exit__(None, None, None)


@contextlib.contextmanager
def live_pair(exchange: str = "bybit", *, poll: float = 0.05, timeout_ms: int = 1000):
    pair = LivePair(exchange, poll=poll, timeout_ms=timeout_ms)
    try:
        yield pair
    finally:
        pair.close()


def assert_follows(pair: LivePair) -> dict[int, tuple[Decimal, ...]]:
    """Every candle of the live venue is the upstream's, minute after minute, no gap."""
    down, up = klines(pair.down.url), klines(pair.up.url)
    assert down, "the live venue has no candle"
    for ts, row in down.items():
        assert up.get(ts) == row, f"minute {ts}: live {row} upstream {up.get(ts)}"
    minutes = sorted(down)
    assert minutes == list(range(minutes[0], minutes[-1] + MINUTE_MS, MINUTE_MS))
    return down


@pytest.mark.parametrize("exchange", ["bybit", "okx"])
def test_live_prices_follow_the_upstream(exchange):
    with live_pair(exchange) as p:
        eventually(lambda: len(klines(p.down.url)) >= 4, timeout=30, what="4 live candles",
                   diagnostics=lambda: json.dumps(p.feed_info()))
        down = assert_follows(p)
        assert min(down) == p.rows[0][0]  # from the minute it started in
        info = p.feed_info()
        assert (info["kind"], info["exchange"], info["symbol"], info["stale"]) == (
            "live", exchange, SYMBOL, False)
        assert info["rejected_rows"] == 0 and info["gap_minutes"] == 0


        def prices():  # read between two identical kline reads: no candle came meanwhile
            before = klines(p.down.url)
            seen = (Decimal(p.down.admin.clock()["last_price"]), ticker_last(p.down.url))
            return max(before) == newest(p.down.url) and (before[max(before)][3], *seen)

        # what a client of the live venue sees: the last live close
        close, last_price, ticker = eventually(prices, timeout=30, what="a steady read")
        assert close == last_price == ticker


def sync_bybit(url: str, key) -> ccxt.bybit:
    ex = ccxt.bybit({"apiKey": key.api_key, "secret": key.secret, "options": {
        "fetchMarkets": {"types": ["linear"]}, "enableUnifiedAccount": True,
        "enableUnifiedMargin": False}})
    ex.urls["api"] = dict.fromkeys(ex.urls["api"], url)
    ex.has["fetchCurrencies"] = False
    return ex


def first_cross(rows, after: int, last_close: float) -> tuple[int, float]:
    """(index, buy price on the 0.1 tick) of the first upstream minute, at least 3 after
    ``after``, whose low reaches a price that no minute before it reached."""
    floor = last_close
    for k in range(after + 1, after + 120):
        low = rows[k][3]
        price = math.ceil(low * 10) / 10
        if k >= after + 3 and price < floor - 0.1:
            return k, price
        floor = min(floor, low)
    raise AssertionError("no crossing in the next two hours of the file")


def test_an_order_on_the_live_venue_fills_when_the_upstream_price_crosses_it():
    with live_pair() as p:
        eventually(lambda: klines(p.down.url), timeout=30, what="a live candle")
        admin = p.down.admin
        acct = admin.create_account(name="paper")
        admin.fund(acct, "USDT", "10000")
        ex = sync_bybit(p.down.url, admin.create_key(acct, exchange="bybit"))
        ex.load_markets()
        down = klines(p.down.url)
        at = max(down)
        idx = next(i for i, r in enumerate(p.rows) if r[0] == at)
        k, price = first_cross(p.rows, idx, float(down[at][3]))
        order = ex.create_order(SYMBOL, "limit", "buy", 0.001, price)
        assert [o["id"] for o in ex.fetch_open_orders(SYMBOL)] == [order["id"]]  # it rests
        trades = eventually(lambda: ex.fetch_my_trades(SYMBOL), timeout=60,
                            what=f"a fill at {price} (upstream minute {k - idx} ahead)")
        assert [(t["order"], t["price"], t["amount"]) for t in trades] == [
            (order["id"], price, 0.001)]
        # it filled with the upstream's crossing minute, not before it ended
        assert trades[0]["timestamp"] >= p.rows[k][0] + MINUTE_MS
        assert Decimal(str(p.rows[k][3])) == klines(p.down.url)[p.rows[k][0]][2]
        assert_follows(p)


def wait_stale(p: LivePair) -> dict:
    return eventually(lambda: (i := p.feed_info())["stale"] and i, timeout=30,
                      what="the feed marked stale", diagnostics=lambda: json.dumps(p.feed_info()))


def hold_then_recover(p: LivePair, outage_ends) -> None:
    """While the upstream is out: the live venue serves, at its last price, stale; the
    upstream's market moves on; ``outage_ends()``; then the live venue catches up."""
    info = wait_stale(p)
    assert "3 polls failed in a row" in info["stale_reason"]
    held = Decimal(p.down.admin.clock()["last_price"])
    stuck_at = newest(p.down.url)
    eventually(lambda: p.clock.now_ms() > stuck_at + 4 * MINUTE_MS, timeout=30,
               what="4 market minutes of outage")
    assert ticker_last(p.down.url) == held  # the venue answers, with the last price
    assert newest(p.down.url) == stuck_at
    assert p.feed_info()["stale"]
    outage_ends()
    target = p.clock.now_ms() - 2 * MINUTE_MS
    eventually(lambda: not p.feed_info()["stale"] and newest(p.down.url) >= target,
               timeout=30, what="the live venue caught up",
               diagnostics=lambda: json.dumps(p.feed_info()))
    assert_follows(p)  # the outage's minutes were backfilled: no gap


def test_an_upstream_answering_5xx_or_timing_out_leaves_the_last_price_then_recovers(caplog):
    with live_pair(timeout_ms=500) as p, caplog.at_level("INFO", logger="sequence.venue.live"):
        eventually(lambda: len(klines(p.down.url)) >= 2, timeout=30, what="2 live candles")
        p.up.admin.fault("http_5xx", path="/v5/market", status=503)
        hold_then_recover(p, p.up.admin.clear_faults)
        assert "ExchangeNotAvailable" in p.feed_info()["last_error"]
        p.up.admin.fault("timeout", path="/v5/market", seconds=3)
        hold_then_recover(p, p.up.admin.clear_faults)
        assert "RequestTimeout" in p.feed_info()["last_error"]
    messages = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert sum("STALE" in m for m in messages) == 2
    assert sum("back after" in m for m in messages) == 2


def test_an_upstream_that_stops_and_comes_back():
    with live_pair() as p:
        eventually(lambda: len(klines(p.down.url)) >= 2, timeout=30, what="2 live candles")
        p.stop_upstream()
        hold_then_recover(p, p.restart_upstream)
        assert p.feed_info()["failed_polls"] >= 3


# ------------------------------------------------------------------ the command line
def serve_cmd(state: Path) -> list[str]:
    """The platform's venue process type, as `sequence run` starts it (port 0: any free)."""
    return process_types.venue(sys.executable, 0, MAIN_SET, state)


def start_process(cmd: list[str], env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin", **env})
    line = proc.stdout.readline()
    if not line:
        raise AssertionError(f"the venue did not start: {proc.communicate(timeout=30)[1]}")
    return proc, json.loads(line)["url"]


def stop_process(proc: subprocess.Popen) -> str:
    proc.terminate()
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    return err


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_venue_process_type_goes_live_with_paper_venue_feed(tmp_path):
    """PAPER_VENUE_FEED=live:bybit turns the platform's venue process (its command line:
    --candles, --speed 10) into a live one; restarted while the exchange is unreachable, it
    serves the saved price, stale."""
    state = tmp_path / "venue-state.pkl"
    with running_venue(CANDLES, speed=0) as upstream:
        env = {"PAPER_VENUE_FEED": "live:bybit", "PAPER_VENUE_LIVE_URL": upstream.url}
        proc, url = start_process(serve_cmd(state), env)
        try:
            clock = AdminClient(url).clock()
            assert Decimal(clock["last_price"]) == Decimal(upstream.admin.clock()["last_price"])
            assert clock["speed"] == 1.0
            feed = clock["feed"]
            assert (feed["kind"], feed["exchange"], feed["symbol"]) == ("live", "bybit", SYMBOL)
            eventually(lambda: AdminClient(url).clock()["feed"]["polls"] >= 1, timeout=30,
                       what="a poll")
            assert not AdminClient(url).clock()["feed"]["stale"]
        finally:
            err = stop_process(proc)
        assert "live bybit prices at the wall clock, in place of --candles / --speed" in err
        price = clock["last_price"]
    env["PAPER_VENUE_LIVE_URL"] = f"http://127.0.0.1:{free_port()}"  # nobody there now
    proc, url = start_process([*serve_cmd(state), "--poll-seconds", "0.1"], env)
    try:
        clock = AdminClient(url).clock()
        assert clock["last_price"] == price and clock["feed"]["stale"]
        assert clock["feed"]["stale_reason"].startswith(
            ("no price from the exchange at start", "3 polls failed in a row"))
    finally:
        stop_process(proc)


@pytest.mark.parametrize(("argv", "env", "message"), [
    (["--live", "bybit", "--candles", CANDLES], {}, "--live and --candles: give one"),
    (["--live", "bybit", "--speed", "10"], {}, "--speed must be 1"),
    ([], {"PAPER_VENUE_FEED": "live:kraken"}, "expected replay or one of live:bybit, live:okx"),
    (["--live", "bybit", "--symbol", "BTCUSDT"], {}, "'BTCUSDT' is not a ccxt symbol"),
    (["--live", "okx", "--live-url", "ftp://x"], {}, "must be http(s)"),
])
def test_bad_live_settings_are_refused_with_a_message(argv, env, message, monkeypatch, capsys):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert main(["serve", "--port", "0", *argv]) == 2
    assert message in capsys.readouterr().err


def test_no_price_from_the_exchange_at_start_is_a_clear_error(capsys):
    url = f"http://127.0.0.1:{free_port()}"
    assert main(["serve", "--port", "0", "--live", "bybit", "--live-url", url,
                 "--poll-seconds", "0.1"]) == 2
    err = capsys.readouterr().err
    assert f"no price from bybit {SYMBOL} at {url} (" in err
    assert "Traceback" not in err

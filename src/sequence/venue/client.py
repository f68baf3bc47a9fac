"""Run the simulated exchange in a thread, and drive it over its admin API (tests, demos).

Usage::

    from sequence.venue import running_venue

    with running_venue(candles="tests/data/candles/binanceus_BTCUSDT_1m_2023-03.csv.gz",
                       speed=0) as venue:
        venue.url                                   # "http://127.0.0.1:PORT"
        acct = venue.admin.create_account(name="alice")          # -> account id (str)
        sub = venue.admin.create_account(name="bot1", parent_id=acct)
        venue.admin.fund(sub, "USDT", "1000", wallet="trading")  # credit a wallet
        key = venue.admin.create_key(sub, exchange="bybit")      # or exchange="okx"
        key.api_key, key.secret, key.passphrase                  # passphrase: OKX only
        venue.admin.advance(candles=10)             # step the market clock (speed=0: paused)
        venue.admin.fault("drop", path="/v5/order/create", count=1)
        ex = venue.ccxt_bybit(key)                  # a configured ccxt.async_support.bybit
        ...                                         # (close it: await ex.close())

``running_venue(candles=None, *, speed=1.0, seed=1, price=30000.0, rebase=True,
tick=0.05, profile=None, lockstep=False)``: ``candles`` is a candle file (CSV or .csv.gz) replayed as the
price feed; ``None`` means a seeded random walk from ``price``. ``speed`` is
market seconds per wall second (0 = paused: only :meth:`AdminClient.advance`
moves the market). ``rebase`` shifts the file's timestamps so its first
candle starts now. The server runs in a daemon thread with its own event loop,
binds 127.0.0.1 on a free port, and stops when the block exits.

Pointing real ccxt at it (only the base URL changes; these are the options
of our production configuration, EXCHANGES.md section 8)::

    import ccxt.async_support as ccxt
    ex = ccxt.bybit({"apiKey": key.api_key, "secret": key.secret,
                     "options": {"fetchMarkets": {"types": ["linear", "inverse", "spot"]},
                                 "enableUnifiedAccount": True, "enableUnifiedMargin": False}})
    ex.urls["api"] = {k: venue.url for k in ("spot", "futures", "v2", "public", "private")}
    ex.has["fetchCurrencies"] = False   # optional: /v5/asset/coin/query-info is served too

    ex = ccxt.okx({"apiKey": key.api_key, "secret": key.secret, "password": key.passphrase})
    ex.urls["api"] = {"rest": venue.url}
    ex.has["fetchCurrencies"] = False   # optional: /api/v5/asset/currencies is served too
    ex.options["fetchMarkets"] = {"types": ["spot", "swap"]}  # optional: others list none

:func:`ccxt_bybit` and :func:`ccxt_okx` build exactly these. Markets served:
``BTC/USDT`` (spot), ``BTC/USDT:USDT`` (linear perpetual) and ``BTC/USD:BTC``
(inverse perpetual; Bybit: one-way only), all priced by the one feed.

The admin client is synchronous (urllib), so it can be used from sync tests or,
briefly, from async ones. Every method raises :class:`AdminError` on an error
answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sequence.venue.engine import Venue, build_venue
from sequence.venue.profile import MarketProfile
from sequence.venue.server import serve

RAISED_LIMITS = 1000.0
Amount = Decimal | str | int | float  # sent to the admin API as a decimal string


class AdminError(RuntimeError):
    """The admin API refused a call (HTTP status in ``status``)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status


@dataclass(frozen=True)
class Key:
    api_key: str
    secret: str
    passphrase: str
    exchange: str
    account_id: str
    permissions: dict[str, list[str]]
    ips: list[str]
    expires_at: int | None


class AdminClient:
    """Synchronous client of the ``/admin/`` JSON API at ``url``."""

    def __init__(self, url: str, timeout: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout

    def call(self, method: str, path: str,
             body: Mapping[str, object] | None = None) -> dict[str, Any]:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(  # noqa: S310 - our own loopback URL
            self.url + path, data=data, method=method,
            headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:  # noqa: S310
                data = json.loads(resp.read() or b"{}")
        except urllib.error.HTTPError as e:
            try:
                msg = json.loads(e.read()).get("error", e.reason)
            except ValueError:
                msg = str(e.reason)
            raise AdminError(e.code, msg) from None
        if not isinstance(data, dict):
            raise AdminError(502, f"the admin API answered {type(data).__name__}, not an object")
        return data

    # accounts and money
    def create_account(self, name: str, parent_id: str | None = None) -> str:
        return str(self.call("POST", "/admin/accounts", {"name": name, "parent_id": parent_id})["id"])

    def account(self, account_id: str) -> dict[str, Any]:
        return self.call("GET", f"/admin/accounts/{account_id}")

    def fund(self, account_id: str, coin: str, amount: Amount, wallet: str = "trading") -> dict[str, Any]:
        return self.call("POST", "/admin/fund", {"account_id": account_id, "coin": coin,
                                                 "amount": str(amount), "wallet": wallet})

    def deposit(self, account_id: str, coin: str, amount: Amount, wallet: str = "funding") -> dict[str, Any]:
        return self.call("POST", "/admin/deposit", {"account_id": account_id, "coin": coin,
                                                    "amount": str(amount), "wallet": wallet})

    def withdraw(self, account_id: str, coin: str, amount: Amount, wallet: str = "funding",
                 address: str = "TXsimulatedaddress") -> dict[str, Any]:
        return self.call("POST", "/admin/withdraw", {"account_id": account_id, "coin": coin,
                                                     "amount": str(amount), "wallet": wallet,
                                                     "address": address})

    def transfer(self, account_id: str, coin: str, amount: Amount, from_wallet: str, to_wallet: str,
                 to_account_id: str | None = None) -> dict[str, Any]:
        return self.call("POST", "/admin/transfer", {
            "account_id": account_id, "coin": coin, "amount": str(amount),
            "from_wallet": from_wallet, "to_wallet": to_wallet, "to_account_id": to_account_id})

    # keys
    def create_key(self, account_id: str, exchange: str = "bybit",
                   permissions: dict[str, list[str]] | list[str] | str | None = None,
                   ips: list[str] | None = None, expires_at: int | None = None,
                   read_only: bool = False, label: str = "", passphrase: str | None = None) -> Key:
        """``permissions``: Bybit a dict like query-api's (``{"ContractTrade": ["Order",
        "Position"], "Spot": ["SpotTrade"], "Wallet": ["Withdraw"]}``); OKX a list of
        ``read_only``, ``trade``, ``withdraw``. ``expires_at``: epoch ms (wall clock)."""
        d = self.call("POST", "/admin/keys", {
            "account_id": account_id, "exchange": exchange, "permissions": permissions,
            "ips": ips or [], "expires_at": expires_at, "read_only": read_only,
            "label": label, "passphrase": passphrase})
        return Key(d["api_key"], d["secret"], d["passphrase"], d["exchange"], d["account_id"],
                   d["permissions"], d["ips"], d["expires_at"])

    # faults, clock, feed
    def fault(self, kind: str, **options: str | int | float | None) -> dict[str, Any]:
        """kind: latency (ms=), http_5xx (status=), timeout (seconds=), drop; plus
        path= (prefix), method=, count=, probability=."""
        return self.call("POST", "/admin/faults", {"kind": kind, **options})

    def clear_faults(self) -> dict[str, Any]:
        return self.call("DELETE", "/admin/faults")

    def clock(self) -> dict[str, Any]:
        return self.call("GET", "/admin/clock")

    def set_speed(self, speed: float) -> dict[str, Any]:
        return self.call("POST", "/admin/clock", {"speed": speed})

    def advance(self, candles: int = 0, ms: int = 0) -> dict[str, Any]:
        return self.call("POST", "/admin/clock", {"advance_candles": candles, "advance_ms": ms})

    def set_feed(self, candles: str | None = None,
                 **options: str | int | float | bool | None) -> dict[str, Any]:
        return self.call("POST", "/admin/feed", {"candles": candles, **options})

    # lock-step, market profile, request log
    def lockstep(self, on: bool = True) -> dict[str, Any]:
        """Lock-step on: the market clock stands still; only :meth:`step` moves it."""
        return self.call("POST", "/admin/clock", {"lockstep": on})

    def step(self, candles: int = 1) -> dict[str, Any]:
        """Process the next ``candles`` candles now -> ``{candles: [...], clock: {...}}``."""
        return self.call("POST", "/admin/step", {"candles": candles})

    def profile(self) -> dict[str, Any]:
        return self.call("GET", "/admin/profile")

    def set_profile(self, preset: str | None = None,
                    **fields: Decimal | str | int | float | bool | None) -> dict[str, Any]:
        """``preset``: default | parity | ideal (see sequence.venue.profile), then ``fields``
        (spread, participation, funding_rate, maker_fee, taker_fee, fill_at_touch,
        book_depth, book_levels, price_band, maintenance_margin; decimals as strings)."""
        body: dict[str, object] = {k: (str(v) if isinstance(v, Decimal) else v)
                                   for k, v in fields.items()}
        if preset is not None:
            body["preset"] = preset
        return self.call("POST", "/admin/profile", body)

    def requests(self, since: int = 0) -> list[dict[str, Any]]:
        """The request log (exchange requests only), oldest first, ``seq > since``."""
        records = self.call("GET", f"/admin/requests?since={int(since)}")["requests"]
        if not isinstance(records, list):
            raise AdminError(502, "the admin API answered no request list")
        return records

    def clear_requests(self) -> int:
        return int(self.call("DELETE", "/admin/requests")["cleared"])

    def set_limits(self, *, enabled: bool | None = None, scale: float | None = None) -> dict[str, Any]:
        """Rate limits: ``scale`` multiplies the real figures; ``enabled=False`` stops them."""
        return self.call("POST", "/admin/limits", {"enabled": enabled, "scale": scale})


@dataclass
class RunningVenue:
    """``venue`` is the served :class:`~sequence.venue.engine.Venue` itself (it lives in the
    server's thread: read it, e.g. ``venue.request_log``, but change it through ``admin``)."""

    url: str
    port: int
    admin: AdminClient
    venue: Venue | None = None

    def ccxt_bybit(self, key: Key, **config: Any) -> Any:
        return ccxt_bybit(self.url, key, **config)

    def ccxt_okx(self, key: Key, **config: Any) -> Any:
        return ccxt_okx(self.url, key, **config)


# ccxt is untyped (no stubs, no py.typed): its exchange objects and their options are Any.
def ccxt_bybit(url: str, key: Key | None = None, **config: Any) -> Any:
    """A ccxt.async_support.bybit pointed at ``url`` with our production options."""
    import ccxt.async_support as ccxt

    options = {"fetchMarkets": {"types": ["linear", "inverse", "spot"]},
               "enableUnifiedAccount": True, "enableUnifiedMargin": False}
    options.update(config.pop("options", {}))
    cfg = {"options": options, **config}
    if key is not None:
        cfg.update(apiKey=key.api_key, secret=key.secret)
    ex = ccxt.bybit(cfg)
    ex.urls["api"] = dict.fromkeys(("spot", "futures", "v2", "public", "private"), url)
    ex.has["fetchCurrencies"] = False
    return ex


def ccxt_okx(url: str, key: Key | None = None, **config: Any) -> Any:
    """A ccxt.async_support.okx pointed at ``url``."""
    import ccxt.async_support as ccxt

    options = {"fetchMarkets": {"types": ["spot", "swap"]}}
    options.update(config.pop("options", {}))
    cfg = {"options": options, **config}
    if key is not None:
        cfg.update(apiKey=key.api_key, secret=key.secret, password=key.passphrase)
    ex = ccxt.okx(cfg)
    ex.urls["api"] = {"rest": url}
    ex.has["fetchCurrencies"] = False
    return ex


@contextlib.contextmanager
def running_venue(candles: str | None = None, *, speed: float = 1.0, seed: int = 1,
                  price: float = 30000.0, rebase: bool = True, tick: float = 0.05,
                  profile: MarketProfile | None = None, lockstep: bool = False,
                  rate_limits: bool = False) -> Iterator[RunningVenue]:
    """Serve a fresh simulated exchange on 127.0.0.1:<free port> for the block.

    ``profile``: the market's realism (default :class:`MarketProfile`'s realistic one);
    ``lockstep``: start with the clock in lock-step (it moves only by ``admin.step()``);
    ``rate_limits``: the real figures (default: raised RAISED_LIMITS times, since test
    suites drive the venue far harder than one client would)."""
    venue = build_venue(candles, speed=speed, seed=seed, price=price, rebase=rebase,
                        profile=profile)
    if not rate_limits:
        venue.limits.configure(scale=RAISED_LIMITS)
    if lockstep:
        venue.set_lockstep(True)
    with serving(venue, tick=tick) as running:
        yield running


@contextlib.contextmanager
def serving(venue: Venue, *, tick: float = 0.05, port: int = 0) -> Iterator[RunningVenue]:
    """Serve ``venue`` as it is (its feed, clock and limits) on 127.0.0.1:``port`` (0: a
    free one) for the block. Served again later on the same port, the same venue carries on
    where it stopped: a test stops an exchange and brings it back this way."""
    bound: list[int] = []  # the port, once the server listens
    failed: list[BaseException] = []  # why it did not start
    ready = threading.Event()
    loop = asyncio.new_event_loop()
    stop_holder: list[asyncio.Event] = []  # set by the server's own loop

    async def main() -> None:
        stop = asyncio.Event()
        stop_holder.append(stop)

        def on_ready(bound_port: int) -> None:
            bound.append(bound_port)
            ready.set()

        await serve("127.0.0.1", port, venue, tick=tick, ready=on_ready, stop=stop)

    def run() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(main())
        except BaseException as e:  # surfaced to the caller below
            failed.append(e)
            ready.set()
        finally:
            loop.close()

    thread = threading.Thread(target=run, name="venue-server", daemon=True)
    thread.start()
    if not ready.wait(15) or failed or not bound:
        raise RuntimeError(f"simulated exchange did not start: {failed[0] if failed else ''}")
    url = f"http://127.0.0.1:{bound[0]}"
    try:
        yield RunningVenue(url, bound[0], AdminClient(url), venue)
    finally:
        stop = stop_holder[0] if stop_holder else None
        if stop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(stop.set)
        thread.join(10)

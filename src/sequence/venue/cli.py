"""``sequence venue ...``: serve the simulated exchange, and administer a running one.

    sequence venue serve --port 8700 [--candles FILE] [--speed X] [--seed N] [--price P]
                         [--state FILE]
    sequence venue serve --live bybit|okx [--symbol BTC/USDT:USDT] [--live-url URL]
                         [--poll-seconds S] [--state FILE]
    sequence venue account create --name alice [--parent ID]
    sequence venue account show ID
    sequence venue fund --account ID --coin USDT --amount 1000 [--wallet trading|funding]
    sequence venue key create --account ID --exchange bybit|okx [--permissions JSON|LIST]
                         [--ips 1.2.3.4,...] [--expires EPOCH_MS|+DAYSd] [--read-only]
    sequence venue deposit|withdraw --account ID --coin C --amount A [--wallet W]
    sequence venue transfer --account ID --coin C --amount A --from W --to W [--to-account ID]
    sequence venue fault add --kind drop|http_5xx|timeout|latency [--path P] [--count N]
                         [--ms N] [--status N] [--seconds S] [--probability P]
    sequence venue fault clear | fault list
    sequence venue clock [--speed X] [--advance-candles N]
    sequence venue feed [--candles FILE] [--seed N]

Admin commands take ``--url`` (default http://127.0.0.1:8700). Every command
prints JSON. Bad flags or an unreachable server: a message on stderr, exit 2.
``--state FILE`` (serve): the state is pickled to FILE on shutdown and loaded
from it at start when it exists.

Prices: replayed candles (``--candles``), a random walk, or with ``--live`` the real
exchange's public market data (no key), polled through ccxt every ``--poll-seconds``
(:mod:`sequence.venue.live_feed`); the market clock is then the wall clock. The
environment configures the same for the platform's ``venue`` process:
``PAPER_VENUE_FEED=live:bybit`` (it replaces ``--candles``, and ``--speed`` becomes 1),
``PAPER_VENUE_SYMBOL`` (default BTC/USDT:USDT, the market whose prices every venue
market follows) and ``PAPER_VENUE_LIVE_URL`` (the exchange's public API, default the
real one; not ``BYBIT_API_URL``, which the demo points at this very venue).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import pickle
import signal
import sys
import time
import urllib.error
from typing import TYPE_CHECKING, Any, NoReturn

from sequence.venue.live_ccxt import DEFAULT_SYMBOL, LIVE_EXCHANGES, LiveChoice, live_choice

if TYPE_CHECKING:  # the admin commands need no engine: it is imported when serving
    from sequence.venue.engine import Venue
    from sequence.venue.live_feed import LiveFeed

DEFAULT_URL = "http://127.0.0.1:8700"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # exit 2 with a message, no traceback
        self.print_usage(sys.stderr)
        print(f"sequence venue: {message}", file=sys.stderr)
        raise SystemExit(2)


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="sequence venue", description="The simulated exchange (Bybit v5, OKX v5).")
    sub = p.add_subparsers(dest="cmd", required=True, parser_class=_Parser)

    s = sub.add_parser("serve", help="serve on 127.0.0.1")
    s.add_argument("--port", type=int, default=8700)
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--candles", help="candle file (csv or csv.gz); default a random walk")
    s.add_argument("--speed", type=float, default=1.0, help="market seconds per wall second")
    s.add_argument("--seed", type=int, default=1)
    s.add_argument("--price", type=float, default=30000.0)
    s.add_argument("--no-rebase", action="store_true", help="keep the file's timestamps")
    s.add_argument("--state", help="pickle file: loaded at start if present, saved on exit")
    s.add_argument("--live", choices=LIVE_EXCHANGES,
                   help="prices from this real exchange's public market data (PAPER_VENUE_FEED)")
    s.add_argument("--symbol", help=f"the live market (PAPER_VENUE_SYMBOL; {DEFAULT_SYMBOL})")
    s.add_argument("--live-url", help="its public API's base URL (PAPER_VENUE_LIVE_URL; "
                                      "default the real exchange)")
    s.add_argument("--poll-seconds", type=float, default=5.0, help="live: seconds between polls")

    def admin(name: str, help: str | None = None) -> argparse.ArgumentParser:
        a = sub.add_parser(name, help=help)
        a.add_argument("--url", default=os.environ.get("SEQUENCE_VENUE_URL", DEFAULT_URL))
        return a

    acc = admin("account", help="accounts and sub-accounts")
    acc.add_argument("action", choices=["create", "show", "list"])
    acc.add_argument("id", nargs="?")
    acc.add_argument("--name")
    acc.add_argument("--parent")

    for name in ("fund", "deposit", "withdraw"):
        a = admin(name)
        a.add_argument("--account", required=True)
        a.add_argument("--coin", required=True)
        a.add_argument("--amount", required=True)
        a.add_argument("--wallet", default="trading" if name == "fund" else "funding")

    t = admin("transfer")
    t.add_argument("--account", required=True)
    t.add_argument("--coin", required=True)
    t.add_argument("--amount", required=True)
    t.add_argument("--from", dest="from_wallet", required=True)
    t.add_argument("--to", dest="to_wallet", required=True)
    t.add_argument("--to-account")

    k = admin("key", help="API keys")
    k.add_argument("action", choices=["create"])
    k.add_argument("--account", required=True)
    k.add_argument("--exchange", choices=["bybit", "okx"], required=True)
    k.add_argument("--permissions", help='bybit: JSON object; okx: "read_only,trade"')
    k.add_argument("--ips", default="", help="comma-separated whitelist")
    k.add_argument("--expires", help="epoch ms, or +Nd (days from now)")
    k.add_argument("--read-only", action="store_true")
    k.add_argument("--label", default="")
    k.add_argument("--passphrase")

    f = admin("fault", help="fault injection")
    f.add_argument("action", choices=["add", "list", "clear"])
    f.add_argument("--kind", choices=["drop", "http_5xx", "timeout", "latency"])
    f.add_argument("--path", default="")
    f.add_argument("--method", default="")
    f.add_argument("--count", type=int)
    f.add_argument("--probability", type=float, default=1.0)
    f.add_argument("--ms", type=int, default=0)
    f.add_argument("--status", type=int, default=503)
    f.add_argument("--seconds", type=float, default=30.0)

    c = admin("clock", help="show or set the market clock")
    c.add_argument("--speed", type=float)
    c.add_argument("--advance-candles", type=int)
    c.add_argument("--advance-ms", type=int)

    fe = admin("feed", help="set the price source")
    fe.add_argument("--candles")
    fe.add_argument("--seed", type=int, default=1)
    fe.add_argument("--price", type=float, default=30000.0)
    fe.add_argument("--speed", type=float)
    return p


def _expires(text: str | None) -> int | None:
    if not text:
        return None
    if text.startswith("+") and text.endswith("d"):
        return int(time.time() * 1000) + int(float(text[1:-1]) * 86_400_000)
    return int(text)


def _permissions(text: str | None, exchange: str) -> object:
    if not text:
        return None
    if exchange == "bybit":
        return json.loads(text)
    return [p.strip() for p in text.split(",") if p.strip()]


def _admin_call(args: argparse.Namespace) -> dict[str, Any]:
    from sequence.venue.client import AdminClient

    c = AdminClient(args.url)
    cmd = args.cmd
    if cmd == "account":
        if args.action == "create":
            if not args.name:
                raise ValueError("--name is required")
            return c.call("POST", "/admin/accounts", {"name": args.name, "parent_id": args.parent})
        if args.action == "list":
            return c.call("GET", "/admin/accounts")
        if not args.id:
            raise ValueError("account show needs an id")
        return c.account(args.id)
    if cmd in ("fund", "deposit", "withdraw"):
        return c.call("POST", f"/admin/{cmd}", {"account_id": args.account, "coin": args.coin,
                                                "amount": args.amount, "wallet": args.wallet})
    if cmd == "transfer":
        return c.transfer(args.account, args.coin, args.amount, args.from_wallet, args.to_wallet,
                          args.to_account)
    if cmd == "key":
        ips = [i.strip() for i in args.ips.split(",") if i.strip()]
        return c.call("POST", "/admin/keys", {
            "account_id": args.account, "exchange": args.exchange,
            "permissions": _permissions(args.permissions, args.exchange), "ips": ips,
            "expires_at": _expires(args.expires), "read_only": args.read_only,
            "label": args.label, "passphrase": args.passphrase})
    if cmd == "fault":
        if args.action == "list":
            return c.call("GET", "/admin/faults")
        if args.action == "clear":
            return c.clear_faults()
        if not args.kind:
            raise ValueError("fault add needs --kind")
        return c.fault(args.kind, path=args.path, method=args.method, count=args.count,
                       probability=args.probability, ms=args.ms, status=args.status,
                       seconds=args.seconds)
    if cmd == "clock":
        body = {"speed": args.speed, "advance_candles": args.advance_candles,
                "advance_ms": args.advance_ms}
        if all(v is None for v in body.values()):
            return c.clock()
        return c.call("POST", "/admin/clock", body)
    if cmd == "feed":
        return c.set_feed(args.candles, seed=args.seed, price=args.price, speed=args.speed)
    raise ValueError(f"unknown command {cmd}")


def _log_to_stderr() -> None:
    """The venue's own log lines (the live feed's failures, staleness, recovery) on stderr."""
    import logging

    logger = logging.getLogger("sequence.venue")
    if not logger.handlers and not logging.getLogger().handlers:  # nobody set logging up
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)


def _build(args: argparse.Namespace, live: LiveChoice | None) -> tuple[Venue, LiveFeed | None]:
    """The venue to serve (restored from ``--state`` if saved) on the feed asked for."""
    from sequence.venue.engine import Venue, build_venue, make_feed
    from sequence.venue.feed import MarketClock
    from sequence.venue.live_feed import LiveFeed

    venue = load_state(args.state) if args.state and os.path.exists(args.state) else None
    if live is None:
        if venue is None:
            return build_venue(args.candles, speed=args.speed, seed=args.seed, price=args.price,
                               rebase=not args.no_rebase), None
        if isinstance(venue.feed, LiveFeed):  # saved while live: it cannot poll any more
            venue.replace_feed(make_feed(args.candles, seed=args.seed, price=args.price,
                                         rebase=not args.no_rebase), speed=args.speed)
        else:
            venue.clock.set_speed(args.speed)
        return venue, None
    from sequence.venue.live_ccxt import open_live_feed

    feed = open_live_feed(live, poll_seconds=args.poll_seconds)
    try:
        price = feed.first_open()
    except ValueError:
        if venue is None:
            feed.close()
            where = live.url or "its public API"
            raise ValueError(f"no price from {live.exchange} {live.symbol} at {where} "
                             f"({feed.last_error or 'no answer'})") from None
        feed.hold(float(venue.last_price))  # serve the saved price, stale, until it answers
        price = feed.first_open()
    if venue is None:
        venue = Venue(feed, MarketClock(feed.start_ms, 1.0))
    else:
        venue.replace_feed(feed, speed=1.0)
    print(f"sequence venue: live {live.exchange} {live.symbol} prices, first {price}",
          file=sys.stderr)
    return venue, feed


def _serve(args: argparse.Namespace) -> int:
    from sequence.venue.server import is_loopback, serve

    if not is_loopback(args.host):
        print("sequence venue: --host must be a loopback address", file=sys.stderr)
        return 2
    _log_to_stderr()
    live = live_choice(args, os.environ)
    if live is not None and live.note:
        print(f"sequence venue: {live.note}", file=sys.stderr)
    venue, feed = _build(args, live)
    if feed is not None:
        feed.start()

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)

        def ready(port: int) -> None:
            print(json.dumps({"url": f"http://{args.host}:{port}", "port": port}), flush=True)

        await serve(args.host, args.port, venue, ready=ready, stop=stop)

    try:
        asyncio.run(main())
    except OSError as e:
        print(f"sequence venue: cannot serve on {args.host}:{args.port}: {e}", file=sys.stderr)
        return 2
    finally:
        if feed is not None:
            feed.close(wait_seconds=30)  # its last poll done before the state is saved
    if args.state:
        save_state(args.state, venue)
    return 0


class StateError(ValueError):
    """A state file that cannot be read or written (the message says which and why)."""


def load_state(path: str) -> Venue:
    """The venue saved in ``path`` by :func:`save_state`."""
    from sequence.venue.engine import Venue

    try:
        with open(path, "rb") as src:
            venue = pickle.load(src)  # noqa: S301 - our own state file
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError,
            IndexError, TypeError, ValueError) as e:
        raise StateError(f"{path}: not a saved venue state ({e})") from None
    if not isinstance(venue, Venue):
        raise StateError(f"{path}: not a saved venue state (it holds a {type(venue).__name__})")
    return venue


def save_state(path: str, venue: Venue) -> None:
    """Write ``venue`` to ``path`` whole or not at all: into a file beside it, then renamed
    over it, so a failed save leaves the state saved before in place."""
    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        with open(tmp, "wb") as dst:
            pickle.dump(venue, dst)
        os.replace(tmp, path)
    except (OSError, pickle.PicklingError, TypeError, AttributeError) as e:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise StateError(f"{path}: the state was not saved ({e})") from None


def main(argv: list[str]) -> int:
    try:
        args = _parser().parse_args(argv)
    except SystemExit as e:
        return int(e.code or 0)
    if args.cmd == "serve":
        try:
            return _serve(args)
        except (ValueError, OSError) as e:
            print(f"sequence venue: {e}", file=sys.stderr)
            return 2
    try:
        out = _admin_call(args)
    except urllib.error.URLError as e:
        print(f"sequence venue: no simulated exchange at {args.url} ({e.reason})",
              file=sys.stderr)
        return 2
    except (ConnectionError, TimeoutError) as e:
        print(f"sequence venue: no simulated exchange at {args.url} ({e})", file=sys.stderr)
        return 2
    except Exception as e:  # AdminError, bad JSON in --permissions, ...
        print(f"sequence venue: {e}", file=sys.stderr)
        return 2
    print(json.dumps(out, indent=2))
    return 0

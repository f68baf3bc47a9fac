"""Benchmark of the simulated exchange over HTTP: requests/s and latency percentiles.

The server runs in a subprocess (`sequence venue serve`, loopback, free port); the
clients run in this process: N concurrent real ccxt bybit clients (one account and
key each), each looping over a mix of calls (balance, open orders, create, cancel)
for a bounded number of rounds and seconds. Prints one JSON line of figures.

The client side costs more CPU per request than the server (about 0.9 ms for ccxt), so
requests/s measures the clients on a small machine. The server's own cost is measured
apart: its process's CPU seconds (``/proc/<pid>/stat``) over the measured phase,
divided by the requests it served then (its request log). ``--rate R`` instead offers a
fixed load of R requests/s (spread over the clients on a schedule) and reports the
latency percentiles at that load.

    python bench/venue_bench.py [--clients 50] [--rounds 20] [--seconds 30] [--rate 0]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "src"))

from sequence.venue.client import AdminClient, ccxt_bybit  # noqa: E402

CANDLES = os.path.join(ROOT, "tests/data/candles/binanceus_BTCUSDT_1m_2023-03.csv.gz")
SYMBOL = "BTC/USDT:USDT"


def start_server() -> tuple[subprocess.Popen, str]:
    env = {**os.environ, "PYTHONPATH": os.path.join(ROOT, "src")}
    proc = subprocess.Popen(
        [sys.executable, "-c", "import sys; from sequence.venue.cli import main; "
         "sys.exit(main(sys.argv[1:]))", "serve", "--port", "0", "--candles", CANDLES,
         "--speed", "60"], stdout=subprocess.PIPE, env=env, text=True)
    line = proc.stdout.readline()
    return proc, json.loads(line)["url"]


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far (Linux)."""
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def paced(url: str, key, rate: float, deadline: float, lat: list, errors: list):
    """One client offering ``rate`` requests/s on a schedule (open loop: no catching up)."""
    ex = ccxt_bybit(url, key, enableRateLimit=False)
    try:
        await ex.load_markets()
        await ex.fetch_balance()
        interval = 1 / rate
        nxt = time.perf_counter()
        i = 0
        while time.monotonic() < deadline:
            nxt += interval
            t0 = time.perf_counter()
            try:
                if i % 2:
                    await ex.fetch_open_orders(SYMBOL)
                else:
                    await ex.fetch_balance()
            except Exception as e:
                errors.append(type(e).__name__)
            lat.append(time.perf_counter() - t0)
            i += 1
            await asyncio.sleep(max(0.0, nxt - time.perf_counter()))
    finally:
        await ex.close()


async def client(url: str, key, rounds: int, deadline: float, lat: list, errors: list):
    ex = ccxt_bybit(url, key, enableRateLimit=False)
    try:
        await ex.load_markets()
        last = float((await ex.fetch_ticker(SYMBOL))["last"])
        price = round(last * 0.8, 1)
        for i in range(rounds):
            if time.monotonic() > deadline:
                break
            calls = [
                lambda: ex.fetch_balance(),
                lambda: ex.fetch_open_orders(SYMBOL),
                lambda i=i: ex.create_order(SYMBOL, "limit", "buy", 0.001, price,
                                            {"clientOrderId": f"b{id(ex) % 10**6}x{i}"}),
            ]
            order = None
            for call in calls:
                t0 = time.perf_counter()
                try:
                    order = await call()
                except Exception as e:  # counted, not fatal
                    errors.append(type(e).__name__)
                lat.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            try:
                await ex.cancel_order(order["id"], SYMBOL)
            except Exception as e:
                errors.append(type(e).__name__)
            lat.append(time.perf_counter() - t0)
    finally:
        await ex.close()


async def main_async(url: str, n: int, rounds: int, seconds: float, pid: int,
                     rate: float = 0.0) -> dict:
    admin = AdminClient(url)
    admin.set_limits(scale=1000)  # the real per-key figures would throttle the mix itself
    keys = []
    for i in range(n):
        acct = admin.create_account(name=f"bench{i}")
        admin.fund(acct, "USDT", "100000")
        keys.append(admin.create_key(acct, exchange="bybit"))
    lat: list[float] = []
    errors: list[str] = []
    deadline = time.monotonic() + seconds
    seq0 = (admin.requests() or [{"seq": 0}])[-1]["seq"]
    cpu0 = cpu_seconds(pid)
    t0 = time.perf_counter()
    if rate:
        await asyncio.gather(*(paced(url, k, rate / n, deadline, lat, errors) for k in keys))
    else:
        await asyncio.gather(*(client(url, k, rounds, deadline, lat, errors) for k in keys))
    wall = time.perf_counter() - t0
    cpu = cpu_seconds(pid) - cpu0
    served = len(admin.requests(since=seq0))
    lat.sort()

    def pct(p: float) -> float:
        return round(lat[min(len(lat) - 1, int(p * len(lat)))] * 1000, 2) if lat else 0.0

    return {"bench": "venue_http_mix" if not rate else "venue_http_fixed_load",
            "clients": n, "requests": len(lat), "offered_rps": rate or None,
            "seconds": round(wall, 2), "rps": round(len(lat) / wall, 1),
            "p50_ms": pct(0.50), "p99_ms": pct(0.99), "errors": len(errors),
            "server_cpu_ms_per_request": round(cpu * 1000 / served, 3) if served else None,
            "server_requests": served,
            "mix": "balance, open orders" if rate else "balance, open orders, create, cancel"}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--rate", type=float, default=0.0, help="offered requests/s (0: closed loop)")
    args = ap.parse_args()
    proc, url = start_server()
    try:
        result = asyncio.run(main_async(url, args.clients, args.rounds, args.seconds, proc.pid,
                                        args.rate))
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())

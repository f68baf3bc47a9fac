"""The HTTP face of the simulated exchange: Bybit v5, OKX v5 and the admin API on one port.

``/v5/...`` is Bybit, ``/api/v5/...`` is OKX, ``/admin/...`` is the JSON admin
API (answered only to loopback clients, and the server refuses to bind anything
but a loopback address). Every request first brings the market up to the
market clock (:meth:`Venue.sync`); a background task does the same every
``tick`` seconds so resting orders fill while nobody asks.

Faults (set through the admin API) apply to the exchange paths only:

- ``latency``: sleep ``ms`` before answering;
- ``http_5xx``: answer ``status`` (default 503) without doing anything;
- ``timeout``: do nothing, hold the connection ``seconds`` (default 30), then close it;
- ``drop``: do the work (e.g. accept the order), then close the connection
  without an answer ("drop the response after accepting an order").

Each fault has ``path`` (a prefix, default every exchange path), ``method``
(optional), ``count`` (times to fire, default unlimited) and ``probability``
(default 1).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable

from aiohttp import web

from sequence.venue import admin, bybit, okx
from sequence.venue.engine import Venue
from sequence.venue.protocol import CLIENT_ID, KEY_ID, RESULT_CODE
from sequence.venue.state import STATE_KEY, State

log = logging.getLogger("sequence.venue")
TICK_KEY = web.AppKey("venue_tick", float)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]  # what a middleware wraps

def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def _exchange_path(path: str) -> bool:
    return path.startswith(("/v5/", "/api/v5/"))


@web.middleware
async def venue_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    state: State = request.app[STATE_KEY]
    path = request.path
    if path.startswith("/admin"):
        if not is_loopback(request.remote or ""):
            return web.json_response({"error": "admin API is for loopback clients only"},
                                     status=403)
        state.venue.sync()
        return await handler(request)
    state.requests += 1
    start = time.time() * 1000
    response: web.StreamResponse | None = None
    try:
        response = await _exchange(request, handler, state)
        return response
    finally:
        if _exchange_path(path):
            state.venue.request_log.add(
                key=request.get(KEY_ID, ""), method=request.method, path=path,
                client_order_id=request.get(CLIENT_ID, ""), start_ms=start,
                end_ms=time.time() * 1000, status=response.status if response is not None else 0,
                code=request.get(RESULT_CODE, ""))


async def _exchange(request: web.Request, handler: Handler,
                    state: State) -> web.StreamResponse:
    path = request.path
    fault = None
    if state.faults and _exchange_path(path):
        for f in state.faults:
            if f.matches(request.method, path):
                f.fired += 1
                fault = f
                break
    if fault is not None:
        if fault.kind == "latency":
            await asyncio.sleep(fault.ms / 1000)
        elif fault.kind == "http_5xx":
            return web.Response(status=fault.status, text="Service Unavailable")
        elif fault.kind == "timeout":
            await asyncio.sleep(fault.seconds)
            if request.transport is not None:
                request.transport.close()
            raise asyncio.CancelledError
    state.venue.sync()
    response = await handler(request)
    if fault is not None and fault.kind == "drop":
        if request.transport is not None:
            request.transport.abort()
        raise asyncio.CancelledError
    return response


async def _ticker(app: web.Application) -> AsyncIterator[None]:
    state: State = app[STATE_KEY]
    tick = app[TICK_KEY]

    async def loop() -> None:
        while True:
            await asyncio.sleep(tick)
            try:
                state.venue.sync()
            except Exception:  # keep ticking; the error is logged
                log.exception("market sync failed")

    task = asyncio.create_task(loop())
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def _not_found(request: web.Request) -> web.Response:
    if request.path.startswith("/api/v5/"):
        return web.json_response({"code": "50115", "msg": "Invalid request method.", "data": []},
                                 status=404)
    return web.json_response({"retCode": 10017, "retMsg": "route not found",
                              "result": {}, "retExtInfo": {}, "time": int(time.time() * 1000)},
                             status=404)


def make_app(venue: Venue, *, tick: float = 0.2) -> web.Application:
    app = web.Application(middlewares=[venue_middleware], client_max_size=1 << 20)
    app[STATE_KEY] = State(venue)
    app[TICK_KEY] = tick
    bybit.register(app)
    okx.register(app)
    admin.register(app)
    app.router.add_route("*", "/{tail:.*}", _not_found)
    app.cleanup_ctx.append(_ticker)
    return app


async def serve(host: str, port: int, venue: Venue, *, tick: float = 0.2,
                ready: Callable[[int], None] | None = None,
                stop: asyncio.Event | None = None) -> None:
    """Serve until ``stop`` is set (or forever). ``ready(port)`` is called once bound."""
    if not is_loopback(host):
        raise ValueError("the simulated exchange binds loopback addresses only")
    app = make_app(venue, tick=tick)
    runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, host, port, reuse_address=True, backlog=1024)
    await site.start()
    bound = runner.addresses[0][1]
    if ready is not None:
        ready(bound)
    try:
        if stop is None:
            await asyncio.Event().wait()
        else:
            await stop.wait()
    finally:
        await runner.cleanup()

"""Bybit v5 authentication, its envelope and its error codes (see the package docstring)."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable

from aiohttp import web

from sequence.venue.bybit import limits
from sequence.venue.model import Account, ApiKey, VenueError
from sequence.venue.protocol import (
    Answer,
    Dialect,
    Handler,
    JsonObject,
    PrivateHandler,
    Reject,
    json_params,
)
from sequence.venue.state import venue_of

ERRORS = {
    "insufficient": (110007, "ab not enough for new order"),
    "margin": (110007, "ab not enough for new order"),
    "duplicate": (110072, "OrderLinkedID is duplicate"),
    "reduce_only": (110017, "Reduce-only rule not satisfied"),
    "not_found": (110001, "order not exists or too late to cancel"),
    "finished": (110001, "order not exists or too late to cancel"),
    "amend_unchanged": (10001, "The order remains unchanged as the parameters entered match "
                               "the existing ones."),
    "mode_not_modified": (110025, "Position mode is not modified"),
    "mode_has_position": (110024, "You have an existing position, so position mode cannot be switched"),
    "mode_has_orders": (110028, "Open orders exist, so you cannot change position mode"),
    "mode_unsupported": (10001, "Inverse contracts support one-way mode only"),
    "leverage_not_modified": (110043, "Set leverage not modified"),
    "position_idx": (10001, "position idx not match position mode"),
    "min_qty": (110094, "Order does not meet minimum order value"),
    "min_notional": (110094, "Order does not meet minimum order value"),
    "bad_qty": (10001, "Qty invalid"),
    "bad_price": (10001, "Price invalid"),
    "bad_param": (10001, "params error"),
    "bad_symbol": (10001, "params error: symbol invalid"),
    "post_only": (170218, "The LIMIT-MAKER order is rejected due to it would take liquidity."),
    "price_band": (10001, "Price out of the allowed range"),
}

DENIED = "Permission denied, please check your API key permissions."


def now_ms() -> int:
    return int(time.time() * 1000)


def envelope(result: object, code: int = 0, msg: str = "OK") -> Answer:
    return Answer({"retCode": code, "retMsg": msg, "result": result if result is not None else {},
                   "retExtInfo": {}, "time": now_ms()}, str(code))


def failure(e: Reject) -> Answer:
    answer = envelope({}, int(e.code), e.msg)
    answer.status = e.status
    return answer


def translate(e: VenueError) -> Reject:
    code, msg = ERRORS.get(e.kind, (10001, "params error"))
    return Reject(code, e.message if code == 10001 else msg)


def _bad_body(message: str) -> Reject:
    return Reject(10001, message)


async def authenticate(request: web.Request) -> tuple[ApiKey, Account, JsonObject]:
    """Headers ``X-BAPI-*``; HMAC-SHA256 of ``ts + key + recv_window + (query | body)``."""
    venue = venue_of(request)
    h = request.headers
    api_key = h.get("X-BAPI-API-KEY", "")
    key = venue.keys.get(api_key) if api_key else None
    if key is None or key.exchange != "bybit":
        raise Reject(10003, "API key is invalid.")
    ts_text = h.get("X-BAPI-TIMESTAMP", "")
    recv_text = h.get("X-BAPI-RECV-WINDOW", "5000")
    server = venue.wall_ms()
    try:
        ts = int(ts_text)
        recv = int(recv_text)
    except ValueError:
        raise Reject(10002, "invalid request, please check your server timestamp or recv_window param") from None
    if not (server - recv <= ts < server + 1000):
        raise Reject(10002, f"invalid request, please check your server timestamp or recv_window param. req_timestamp[{ts}],server_timestamp[{server}],recv_window[{recv}]")
    if request.method == "GET":
        payload = request.query_string
    else:
        payload = (await request.read()).decode("utf-8", "replace")
    origin = f"{ts_text}{api_key}{recv_text}{payload}"
    expected = hmac.new(key.secret.encode(), origin.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, h.get("X-BAPI-SIGN", "").lower()):
        raise Reject(10004, f"error sign! origin_string[{origin}]")
    if key.expired(server):
        raise Reject(33004, "Your api key has expired.")
    if not key.ip_allowed(request.remote or ""):
        raise Reject(10010, "Unmatched IP, please check your API key's bound IP addresses.")
    params = await json_params(request, _bad_body)
    if not isinstance(params, dict):
        raise Reject(10001, "request body is not a JSON object")
    return key, venue.account(key.account_id), params


DIALECT = Dialect("bybit", authenticate, envelope, failure, translate, "orderLinkId",
                  limits.rule_for, limits.limited, limits.headers, _bad_body)
public = DIALECT.public


def _check(perm: str | None) -> Callable[[ApiKey], None] | None:
    if perm is None:
        return None

    def check(key: ApiKey) -> None:
        if key.read_only or (perm == "position" and not key.can_set_position()):
            raise Reject(10005, DENIED)

    return check


def private(perm: str | None = None) -> Callable[[PrivateHandler], Handler]:
    """An authenticated Bybit endpoint; ``perm`` is ``trade`` or ``position`` (writes)."""
    return DIALECT.private(_check(perm))

"""OKX v5 authentication, its envelope and its error codes (see the package docstring)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from aiohttp import web

from sequence.venue.model import Account, ApiKey, VenueError
from sequence.venue.okx import limits
from sequence.venue.protocol import (
    Answer,
    Body,
    BodyHandler,
    Dialect,
    Handler,
    PrivateHandler,
    Reject,
)
from sequence.venue.state import venue_of

ORDER_ERRORS = {
    "insufficient": ("51008", "Order failed. Insufficient USDT balance in account."),
    "margin": ("51008", "Order failed. Insufficient USDT margin in account"),
    "duplicate": ("51016", "Duplicated client order ID"),
    "reduce_only": ("51169", "Order failed because you don't have any positions in this direction for this contract to reduce or close."),
    "not_found": ("51400", "Order cancellation failed as the order has been filled, canceled or does not exist."),
    "finished": ("51400", "Order cancellation failed as the order has been filled, canceled or does not exist."),
    "position_idx": ("51000", "Parameter posSide error"),
    "min_qty": ("51020", "Your order should meet or exceed the minimum order amount."),
    "min_notional": ("51020", "Your order should meet or exceed the minimum order amount."),
    "bad_qty": ("51121", "Order quantity must be a multiple of the lot size."),
    "bad_price": ("51000", "Parameter px error"),
    "bad_param": ("51000", "Parameter error"),
    "mode_has_position": ("59000", "Your settings failed as you have positions or open orders."),
    "mode_has_orders": ("59000", "Your settings failed as you have positions or open orders."),
    "mode_not_modified": ("0", ""),
    "leverage_not_modified": ("0", ""),
    "price_band": ("51006", "Order price is not within the price limit"),
}

NO_PERMISSION = "API key doesn't have permission to access the endpoint."


def ok(data: list[Any]) -> Answer:
    return Answer({"code": "0", "data": data, "msg": ""}, "0")


def success(result: object) -> Answer:
    """A handler's plain result in OKX's envelope (``data`` is always an array)."""
    return ok(result if isinstance(result, list) else [result])


def fail(code: str, msg: str, status: int = 200, data: list[Any] | None = None) -> Answer:
    return Answer({"code": code, "data": data or [], "msg": msg}, code, status)


def failure(e: Reject) -> Answer:
    return fail(str(e.code), e.msg, e.status)


def order_error(e: VenueError) -> tuple[str, str]:
    """An order's ``(sCode, sMsg)`` for a business rejection."""
    code, msg = ORDER_ERRORS.get(e.kind, ("51000", "Parameter error"))
    return code, e.message if code == "51000" else msg


def translate(e: VenueError) -> Reject:
    return Reject(*order_error(e))


def _parse_ts(text: str) -> int:
    dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if dt.tzinfo is None:
        raise ValueError("naive timestamp")
    return int(dt.timestamp() * 1000)


async def authenticate(request: web.Request) -> tuple[ApiKey, Account, Body]:
    """Headers ``OK-ACCESS-*``; base64 HMAC-SHA256 of ``ts + METHOD + path?query + body``."""
    venue = venue_of(request)
    h = request.headers
    api_key = h.get("OK-ACCESS-KEY", "")
    if not api_key:
        raise Reject("50103", 'Request header "OK-ACCESS-KEY" cannot be empty.', 401)
    key = venue.keys.get(api_key)
    server = venue.wall_ms()
    if key is None or key.exchange != "okx" or key.expired(server):
        raise Reject("50111", "Invalid OK-ACCESS-KEY.", 401)
    phrase = h.get("OK-ACCESS-PASSPHRASE", "")
    if not phrase:
        raise Reject("50104", 'Request header "OK-ACCESS-PASSPHRASE" cannot be empty.', 401)
    if not hmac.compare_digest(phrase.encode(), key.passphrase.encode()):
        raise Reject("50105", 'Request header "OK-ACCESS-PASSPHRASE" incorrect.', 401)
    ts_text = h.get("OK-ACCESS-TIMESTAMP", "")
    if not ts_text:
        raise Reject("50107", 'Request header "OK-ACCESS-TIMESTAMP" cannot be empty.', 401)
    try:
        ts = _parse_ts(ts_text)
    except ValueError:
        raise Reject("50112", "Invalid OK-ACCESS-TIMESTAMP.", 401) from None
    if abs(server - ts) > 30_000:
        raise Reject("50102", "Timestamp request expired.", 401)
    raw = await request.read() if request.method != "GET" else b""
    path = request.path_qs if request.method == "GET" else request.path
    prehash = ts_text + request.method + path + raw.decode("utf-8", "replace")
    expected = base64.b64encode(
        hmac.new(key.secret.encode(), prehash.encode(), hashlib.sha256).digest()).decode()
    sign = h.get("OK-ACCESS-SIGN", "")
    if not sign:
        raise Reject("50106", 'Request header "OK-ACCESS-SIGN" cannot be empty.', 401)
    if not hmac.compare_digest(expected, sign):
        raise Reject("50113", "Invalid Sign.", 401)
    if not key.ip_allowed(request.remote or ""):
        raise Reject("50110", f"Your IP {request.remote} is not included in your API key's IP whitelist.", 401)
    if request.method == "GET":
        params: Body = dict(request.query)
    else:
        try:
            params = json.loads(raw) if raw else {}
        except ValueError:
            raise Reject("50002", "Invalid JSON.", 400) from None
        if not isinstance(params, (dict, list)):
            raise Reject("50002", "Invalid JSON.", 400)
    return key, venue.account(key.account_id), params


def _bad_body(message: str) -> Reject:
    return Reject("51000", "Parameter error")


DIALECT = Dialect("okx", authenticate, success, failure, translate, "clOrdId",
                  limits.rule_for, limits.limited, limits.headers, _bad_body)
public = DIALECT.public


def _can_trade(key: ApiKey) -> None:
    if key.read_only or "trade" not in key.permissions.get("perm", []):
        raise Reject("50120", NO_PERMISSION, 401)


def private(trade: bool = False) -> Callable[[PrivateHandler], Handler]:
    """An authenticated OKX endpoint; ``trade`` needs the key's trade permission."""
    return DIALECT.private(_can_trade if trade else None)


def private_body(trade: bool = False) -> Callable[[BodyHandler], Handler]:
    """An authenticated OKX endpoint taking a JSON array (the batch calls) or object."""
    return DIALECT.private_body(_can_trade if trade else None)

"""HTTP plumbing the Bybit and OKX layers share: rejections, handler decorators, filters.

Each exchange describes itself once as a :class:`Dialect` (how it authenticates,
how it wraps a result, how it maps a :class:`~sequence.venue.model.VenueError`
to its own code); ``dialect.private(...)`` and ``dialect.public`` then turn a
plain handler ``fn(request, venue, key, account, params) -> result`` into an
aiohttp handler. The wrapper also tags the request with what the request log
records (key id, client order id, result code), so the log costs no parsing.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from aiohttp import web

from sequence.venue.engine import Venue
from sequence.venue.limits import Rule, Verdict
from sequence.venue.model import Account, ApiKey, Transfer, VenueError
from sequence.venue.state import venue_of

KEY_ID = web.RequestKey("venue_key_id", str)
CLIENT_ID = web.RequestKey("venue_client_id", str)
RESULT_CODE = web.RequestKey("venue_result_code", str)

# A decoded JSON object from a client (or a GET's query as a dict): its values are whatever
# the client sent, so each handler checks the ones it reads.
JsonObject = dict[str, Any]
# What an authenticated request carries: a JSON object, or a JSON array (OKX's batch calls).
Body = JsonObject | list[Any]
Query = dict[str, str]  # a public endpoint's query parameters
Handler = Callable[[web.Request], Awaitable[web.Response]]  # an aiohttp handler
# fn(request, venue, key, account, params) -> an Answer, or a result the dialect wraps
PrivateHandler = Callable[[web.Request, Venue, ApiKey, Account, JsonObject], object]
BodyHandler = Callable[[web.Request, Venue, ApiKey, Account, Body], object]
PublicHandler = Callable[[web.Request, Venue, Query], object]  # fn(request, venue, query)
T = TypeVar("T")


class Reject(Exception):
    """A protocol-level rejection: the exchange's own ``code``, message and HTTP status."""

    def __init__(self, code: int | str, msg: str, status: int = 200) -> None:
        super().__init__(msg)
        self.code = code
        self.msg = msg
        self.status = status


@dataclass
class Answer:
    """A rendered reply: JSON ``body``, the result ``code`` the log records, HTTP status."""

    body: JsonObject
    code: str
    status: int = 200
    headers: dict[str, str] | None = None


def _dumps(o: object) -> str:
    return json.dumps(o, separators=(",", ":"))


def respond(request: web.Request, answer: Answer) -> web.Response:
    request[RESULT_CODE] = answer.code
    return web.json_response(answer.body, status=answer.status, dumps=_dumps,
                             headers=answer.headers)


Authenticate = Callable[[web.Request], Awaitable[tuple[ApiKey, Account, Body]]]


@dataclass(frozen=True)
class Dialect:
    """One exchange's conventions, used by the shared decorators."""

    name: str
    authenticate: Authenticate
    success: Callable[[object], Answer]  # a handler's result -> the exchange's envelope
    failure: Callable[[Reject], Answer]
    translate: Callable[[VenueError], Reject]  # a business error -> the exchange's code
    client_id_field: str  # orderLinkId | clOrdId
    rule_for: Callable[[str, bool], Rule]  # (path, private) -> its rate-limit rule
    limited: Callable[[Verdict], Answer]  # the answer over the limit
    limit_headers: Callable[[Verdict], dict[str, str]]  # headers on every private answer
    bad_body: Callable[[str], Reject]  # a body of the wrong shape (an array for an object)

    def private(self, check: Callable[[ApiKey], None] | None = None,
                ) -> Callable[[PrivateHandler], Handler]:
        """An authenticated endpoint taking a JSON object; ``check(key)`` raises
        :class:`Reject` to refuse it."""

        def deco(fn: PrivateHandler) -> Handler:
            def on_object(request: web.Request, venue: Venue, key: ApiKey, account: Account,
                          params: Body) -> object:
                if not isinstance(params, dict):
                    raise self.bad_body("request body is not a JSON object")
                return fn(request, venue, key, account, params)

            on_object.__name__ = fn.__name__
            return self.private_body(check)(on_object)

        return deco

    def private_body(self, check: Callable[[ApiKey], None] | None = None,
                     ) -> Callable[[BodyHandler], Handler]:
        """An authenticated endpoint taking whatever JSON was sent (a batch's array)."""

        def deco(fn: BodyHandler) -> Handler:
            async def handler(request: web.Request) -> web.Response:
                try:
                    key, account, params = await self.authenticate(request)
                    request[KEY_ID] = key.api_key
                    request[CLIENT_ID] = self._client_id(params)
                    venue = venue_of(request)
                    verdict = venue.limits.hit(key.api_key, self.rule_for(request.path, True))
                    if not verdict.allowed:
                        return respond(request, self.limited(verdict))
                    if check is not None:
                        check(key)
                    answer = self._answer(fn(request, venue, key, account, params))
                    answer.headers = {**(answer.headers or {}), **self.limit_headers(verdict)}
                    return respond(request, answer)
                except Reject as e:
                    return respond(request, self.failure(e))
                except VenueError as e:
                    return respond(request, self.failure(self.translate(e)))

            handler.__name__ = fn.__name__
            return handler

        return deco

    def public(self, fn: PublicHandler) -> Handler:
        """An unauthenticated endpoint; ``fn(request, venue, params)``."""

        async def handler(request: web.Request) -> web.Response:
            try:
                venue = venue_of(request)
                verdict = venue.limits.hit(request.remote or "", self.rule_for(request.path, False))
                if not verdict.allowed:
                    return respond(request, self.limited(verdict))
                return respond(request, self._answer(fn(request, venue, dict(request.query))))
            except Reject as e:
                return respond(request, self.failure(e))
            except VenueError as e:
                return respond(request, self.failure(self.translate(e)))

        handler.__name__ = fn.__name__
        return handler

    def _answer(self, result: object) -> Answer:
        return result if isinstance(result, Answer) else self.success(result)

    def _client_id(self, params: Body) -> str:
        if isinstance(params, dict) and isinstance(params.get("request"), list):
            params = params["request"]  # a Bybit batch: {"category", "request": [...]}
        if isinstance(params, dict):
            return str(params.get(self.client_id_field) or "")
        if isinstance(params, list):  # a batch: every client id, comma-separated
            return ",".join(str(p.get(self.client_id_field) or "") for p in params
                            if isinstance(p, dict) and p.get(self.client_id_field))
        return ""


async def json_params(request: web.Request, bad: Callable[[str], Reject]) -> Body:
    """The query (GET) or the JSON body; ``bad(message)`` builds the rejection."""
    if request.method == "GET":
        return dict(request.query)
    raw = await request.read()
    if not raw:
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        raise bad("request body is not valid JSON") from None
    if not isinstance(body, (dict, list)):
        raise bad("request body is not a JSON object")
    return body


def time_window(items: list[T], stamp: Callable[[T], int], start: object,
                end: object) -> list[T]:
    """Items whose ``stamp(item)`` (epoch ms) lies in ``[start, end]``; either bound optional
    (None or ""), else an integer or its decimal string."""
    lo, hi = _bound(start), _bound(end)
    if lo is not None:
        items = [i for i in items if stamp(i) >= lo]
    if hi is not None:
        items = [i for i in items if stamp(i) <= hi]
    return items


def _bound(value: object) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    raise VenueError("bad_param", f"not a time in epoch ms: {value!r}")


def transfers_of(account: Account, kind: str, coin: object) -> list[Transfer]:
    """An account's deposits, withdrawals or transfers (``kind``), newest first."""
    return [t for t in reversed(account.transfers)
            if t.kind == kind and (not coin or t.coin == coin)]

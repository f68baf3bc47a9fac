"""An exchange value we cannot read is a mapped exchange error, never a silent 0 (issue 14
item 13): a malformed balance must not read as an empty account."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest

from sequence.exchanges.adapters import parse
from sequence.exchanges.errors import ExchangeError, MalformedResponseError, PermanentError
from tests.exchanges.conftest import run
from tests.exchanges.fakehttp import fixture_case
from tests.exchanges.test_replay_bybit import bybit


@pytest.mark.parametrize("value", ["abc", "1,5", "NaN", "Infinity", "-inf", math.nan, math.inf,
                                   [1], {"v": 1}, True, "0x10", "1e"])
def test_unreadable_amounts_raise(value):
    for read in (parse.dec, parse.dec0):
        with pytest.raises(MalformedResponseError, match="not a number"):
            read(value)


@pytest.mark.parametrize(("value", "expected"), [
    ("0.1", Decimal("0.1")), (0.1, Decimal("0.1")), (3, Decimal(3)), (" 2.50 ", Decimal("2.50")),
    ("1e-8", Decimal("1e-8")), (Decimal("7"), Decimal(7)), ("-5", Decimal(-5)),
])
def test_readable_amounts(value, expected):
    assert parse.dec(value) == expected == parse.dec0(value)


def test_absent_is_none_or_zero_but_a_fill_needs_its_price():
    assert parse.dec(None) is None and parse.dec("") is None
    assert parse.dec0(None) == 0 == parse.dec0("")
    with pytest.raises(MalformedResponseError, match="no fill price"):
        parse.parse_fill({"id": "1", "amount": 1, "price": None})


def test_error_is_in_the_taxonomy():
    assert issubclass(MalformedResponseError, PermanentError)
    assert issubclass(MalformedResponseError, ExchangeError)


def test_malformed_balance_from_the_wire_is_an_error_not_an_empty_wallet(make_adapter):
    case = fixture_case("bybit", "fetchBalance", "balance after availableToWithdraw update")
    reply = case["httpResponse"]
    account = reply["result"]["list"][0]
    coins = [{**c, "walletBalance": "12,5" if c["coin"] == "USDT" else c["walletBalance"]}
             for c in account["coin"]]
    broken = {**reply, "result": {**reply["result"], "list": [{**account, "coin": coins}]}}
    adapter, http = bybit(make_adapter, "spot")
    http.add("/v5/account/wallet-balance", broken)
    with pytest.raises(MalformedResponseError, match="'12,5'"):
        run(adapter.fetch_balance())


def test_fill_reduce_only_from_the_hedge_side():
    from sequence.exchanges.domain import PositionSide

    row = {"id": "1", "price": "1", "amount": "1"}
    assert parse.parse_fill({**row, "side": "sell"}, None, PositionSide.LONG).reduce_only is True
    assert parse.parse_fill({**row, "side": "buy"}, None, PositionSide.SHORT).reduce_only is True
    assert parse.parse_fill({**row, "side": "buy"}, None, PositionSide.LONG).reduce_only is False
    assert parse.parse_fill({**row, "side": "buy"}).reduce_only is None  # one-way: unknown
    assert parse.parse_fill({**row, "side": "buy", "reduceOnly": True}).reduce_only is True

"""Key permission checks accept only known trade-only permission sets (issue 14 item 11).

Per exchange: a trade-only key passes; a known value-moving right is refused by name; a
permission name we have never seen is refused too, with the name in the client's message.
"""

from __future__ import annotations

import pytest

from sequence.exchanges.adapters.binance import parse_binance_key
from sequence.exchanges.adapters.bybit import parse_bybit_key
from sequence.exchanges.adapters.kraken import parse_kraken_key
from sequence.exchanges.adapters.kucoin import parse_kucoin_key
from sequence.exchanges.adapters.okx import parse_okx_key
from tests.exchanges.test_verify import (
    binance_restrictions,
    bybit_key,
    kraken_key,
    kucoin_key,
    okx_config,
    setup,
    verify,
)

TRADE = {"ContractTrade": ["Order", "Position"], "Spot": ["SpotTrade"], "Wallet": []}

REFUSED = [
    # Bybit master keys: P2P and Bybit Pay groups move money out
    ("bybit", bybit_key(perms={**TRADE, "FiatP2P": ["FiatP2POrder", "Advertising"]}),
     ["FiatP2P:FiatP2POrder", "FiatP2P:Advertising"]),
    ("bybit", bybit_key(perms={**TRADE, "FiatBybitPay": ["FaitPayOrder"]}),
     ["FiatBybitPay:FaitPayOrder"]),
    ("bybit", bybit_key(perms={**TRADE, "Earn": ["Earn"]}), ["Earn:Earn"]),
    ("bybit", bybit_key(perms={**TRADE, "BitCard": ["BitCard"]}), ["BitCard:BitCard"]),
    ("bybit", bybit_key(perms={**TRADE, "Wallet": ["SomethingNew"]}), ["Wallet:SomethingNew"]),
    ("bybit", bybit_key(perms={**TRADE, "NewGroup2027": ["Anything"]}),
     ["NewGroup2027:Anything"]),
    ("okx", okx_config(perm="read_only,trade,loan"), ["loan"]),
    ("kucoin", kucoin_key(permission="General,Spot,Margin"), ["Margin"]),
    ("kucoin", kucoin_key(permission="General,Spot,Earn"), ["Earn"]),
    ("kucoin", kucoin_key(permission="General,Spot,LeverageToken"), ["LeverageToken"]),
    ("kraken", kraken_key(perms=("query-funds", "create-modify-orders", "cancel-close-orders",
                                 "deposit-funds")), ["deposit-funds"]),
    ("kraken", kraken_key(perms=("query-funds", "create-modify-orders", "earn-funds")),
     ["earn-funds"]),
    ("binance", binance_restrictions(enablePortfolioMarginTrading=True),
     ["enablePortfolioMarginTrading"]),
    ("binance", binance_restrictions(enableMargin=True), ["enableMargin"]),
    ("binance", binance_restrictions(enableSomethingNew=True), ["enableSomethingNew"]),
]


@pytest.mark.parametrize(("exchange", "body", "names"), REFUSED)
def test_unknown_or_value_moving_permissions_are_refused_by_name(make_adapter, exchange, body,
                                                                 names):
    adapter, _ = setup(make_adapter, exchange, body)
    result = verify(exchange, adapter)
    assert not result.ok and "permission_not_accepted" in result.codes()
    message = next(p.message for p in result.problems if p.code == "permission_not_accepted")
    for name in names:
        assert name in message
    assert "trading and reading" in message


@pytest.mark.parametrize(("exchange", "permission"), [
    ("kucoin", "Withdrawal"), ("kucoin", "Withdraw")])
def test_kucoin_withdrawal_spelled_either_way_is_a_withdraw_right(make_adapter, exchange,
                                                                  permission):
    adapter, _ = setup(make_adapter, exchange, kucoin_key(permission=f"General,Spot,{permission}"))
    result = verify(exchange, adapter)
    assert "withdraw_permission" in result.codes()
    assert "permission_not_accepted" not in result.codes()  # counted once, as withdrawal
    assert permission in next(p.message for p in result.problems
                              if p.code == "withdraw_permission")


def test_trade_only_sets_are_accepted():
    bybit = parse_bybit_key(bybit_key(perms={
        "ContractTrade": ["Order", "Position"], "Spot": ["SpotTrade"],
        "Derivatives": ["DerivativesTrade"], "Options": ["OptionsTrade"],
        "Exchange": ["ExchangeHistory"], "Wallet": [], "Earn": [], "FiatP2P": []})["result"])
    assert bybit.refused_permissions == () and bybit.can_trade_derivatives
    assert parse_okx_key(okx_config()["data"][0]).refused_permissions == ()
    assert parse_kucoin_key(kucoin_key("General,Spot,Futures")["data"]).refused_permissions == ()
    kraken = parse_kraken_key(kraken_key(perms=(
        "query-funds", "query-open-trades", "query-closed-trades", "query-ledger-entries",
        "create-modify-orders", "cancel-close-orders"))["result"])
    assert kraken.refused_permissions == () and kraken.can_trade_spot
    binance = parse_binance_key(binance_restrictions(enableFutures=True))
    assert binance.refused_permissions == () and binance.can_trade_derivatives


def test_a_bybit_group_given_as_a_bare_string_is_one_name():
    info = parse_bybit_key(bybit_key(perms={**TRADE, "Wallet": "Withdraw"})["result"])
    assert info.withdraw_permissions == ("Wallet:Withdraw",)
    assert "Wallet:W" not in info.permissions

"""Key verification scenarios per exchange, over the recorder seam (no network)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from sequence.exchanges.secret import Credentials
from sequence.exchanges.verify import verify_key
from tests.exchanges.conftest import run
from tests.exchanges.fakehttp import FakeHttp
from tests.exchanges.seed import seed

EGRESS = ("203.0.113.7",)
NOW = datetime(2025, 6, 1, tzinfo=UTC)


def bybit_key(perms=None, ips=("203.0.113.7",), expired=None, read_only=0):
    return {"retCode": 0, "retMsg": "", "result": {
        "id": "13770661", "note": "bot", "apiKey": "XXXXXXXXXXXXXXXXXX", "readOnly": read_only,
        "secret": "", "permissions": perms or {"ContractTrade": ["Order", "Position"],
                                               "Spot": ["SpotTrade"], "Wallet": [],
                                               "Options": [], "Derivatives": [],
                                               "CopyTrading": [], "BlockTrade": [],
                                               "Exchange": [], "NFT": [], "Affiliate": []},
        "ips": list(ips) or ["*"], "type": 1, "deadlineDay": 83,
        "expiredAt": expired or "2099-05-15T03:21:05Z", "createdAt": "2023-02-14T03:21:05Z",
        "unified": 0, "uta": 1, "userID": 24617703, "inviterID": 0, "vipLevel": "No VIP",
        "mktMakerLevel": "0", "affiliateID": 0, "rsaPublicKey": "", "isMaster": False,
        "parentUid": "24617702", "kycLevel": "LEVEL_1", "kycRegion": ""}, "time": 1}


def bybit_wallet(usdt):
    return {"retCode": 0, "retMsg": "OK", "result": {"list": [{
        "accountType": "UNIFIED", "totalEquity": usdt, "coin": [{
            "coin": "USDT", "equity": usdt, "walletBalance": usdt, "locked": "0",
            "totalOrderIM": "0", "totalPositionIM": "0", "availableToWithdraw": usdt,
            "usdValue": usdt, "unrealisedPnl": "0", "cumRealisedPnl": "0",
            "totalPositionMM": "0", "borrowAmount": "0", "accruedInterest": "0",
            "bonus": "0", "collateralSwitch": True, "marginCollateral": True,
            "spotHedgingQty": "0"}]}]}, "time": 1}


def okx_config(perm="read_only,trade", ip="203.0.113.7"):
    return {"code": "0", "msg": "", "data": [{
        "uid": "44705892343619584", "mainUid": "44705892343619584", "acctLv": "2",
        "posMode": "net_mode", "perm": perm, "ip": ip, "label": "bot", "level": "Lv1"}]}


def okx_balance(usdt):
    return {"code": "0", "msg": "", "data": [{"totalEq": usdt, "uTime": "1705474164160",
                                              "details": [{"ccy": "USDT", "eq": usdt,
                                                           "cashBal": usdt, "availBal": usdt,
                                                           "frozenBal": "0", "availEq": usdt,
                                                           "uTime": "1705449605015"}]}]}


def kucoin_key(permission="General,Spot", ip="203.0.113.7"):
    return {"code": "200000", "data": {"remark": "bot", "apiKey": "6705f5c311545b000157d3eb",
                                       "apiVersion": 3, "permission": permission,
                                       "ipWhitelist": ip, "isMaster": True,
                                       "createdAt": 1728443843000}}


def kucoin_accounts(usdt):
    return {"code": "200000", "data": [{"id": "1", "currency": "USDT", "type": "trade",
                                        "balance": usdt, "available": usdt, "holds": "0"}]}


def kraken_key(perms=("query-funds", "query-open-trades", "create-modify-orders",
                      "cancel-close-orders"), ips=("203.0.113.7",), until="0"):
    return {"error": [], "result": {"name": "bot", "permissions": list(perms),
                                    "validUntil": until, "ipAllowlist": list(ips)}}


def binance_restrictions(**flags):
    base = {"ipRestrict": True, "createTime": 1698645219000, "enableReading": True,
            "enableWithdrawals": False, "enableInternalTransfer": False, "enableMargin": False,
            "enableFutures": False, "permitsUniversalTransfer": False,
            "enableVanillaOptions": False, "enableSpotAndMarginTrading": True}
    return {**base, **flags}


KRAKEN_CREDS = Credentials.of("K" * 56, base64.b64encode(bytes(range(64))).decode())

# exchange -> (kind, symbol seed, key path, key method, balance path, balance method,
#              balance body factory, key body factory, base currency, wallet name)
SETUPS = {
    "bybit": ("linear", ("BTC/USDT:USDT", "BTCUSDT", 1, {}), "/v5/user/query-api", "GET",
              "/v5/account/wallet-balance", "GET", bybit_wallet, "USDT"),
    "okx": ("linear", ("BTC/USDT:USDT", "BTC-USDT-SWAP", 0.01, {}), "/api/v5/account/config",
            "GET", "/api/v5/account/balance", "GET", okx_balance, "USDT"),
    "kucoin": ("spot", ("BTC/USDT", "BTC-USDT", None, {}), "/api/v1/user/api-key", "GET",
               "/api/v1/accounts", "GET", kucoin_accounts, "USDT"),
    "kraken": ("spot", ("BTC/USD", "XXBTZUSD", None, {"altname": "XBTUSD"}),
               "/0/private/GetApiKeyInfo", "POST", "/0/private/BalanceEx", "POST",
               lambda usd: {"error": [], "result": {"ZUSD": {"balance": usd,
                                                             "hold_trade": "0"}}}, "USD"),
    "binance": ("spot", ("BTC/USDT", "BTCUSDT", None, {}), "/sapi/v1/account/apiRestrictions",
                "GET", "/api/v3/account", "GET",
                lambda usdt: {"balances": [{"asset": "USDT", "free": usdt, "locked": "0"}]},
                "USDT"),
}
GOOD_KEY = {"bybit": bybit_key(), "okx": okx_config(), "kucoin": kucoin_key(),
            "kraken": kraken_key(), "binance": binance_restrictions()}


def setup(make_adapter, exchange, key_body, balance="600", key_status=200):
    kind, market, kpath, kmethod, bpath, bmethod, wallet, _ = SETUPS[exchange]
    creds = KRAKEN_CREDS if exchange == "kraken" else None
    adapter = make_adapter(exchange, kind, **({"credentials": creds} if creds else {}))
    seed(adapter, market)
    http = FakeHttp(adapter._raw)
    # docs (GET /api/ua/v1/account/mode): the field is selfAccountMode
    http.add("/api/ua/v1/account/mode", {"code": "200000", "data": {
        "selfAccountMode": "CLASSIC"}})
    http.add(kpath, key_body, method=kmethod, status=key_status)
    http.add(bpath, wallet(balance), method=bmethod)
    return adapter, http


def verify(exchange, adapter, min_balance=Decimal(500)):
    kind, *_, base = SETUPS[exchange]
    return run(verify_key(exchange, kind, adapter._credentials, base, min_balance,
                          egress_ips=EGRESS, adapter=adapter, now=NOW))


@pytest.mark.parametrize("exchange", list(SETUPS))
def test_trade_only_key_is_accepted(make_adapter, exchange):
    adapter, http = setup(make_adapter, exchange, GOOD_KEY[exchange])
    result = verify(exchange, adapter)
    assert result.ok, result.problems
    assert result.facts.balance == Decimal(600)
    assert not any("withdraw" in p.lower() for p in result.facts.permissions)
    # the funding wallet is never read
    assert not any("funding" in c.path or "asset" in c.path for c in http.calls)


WITHDRAW = {
    "bybit": bybit_key(perms={"ContractTrade": ["Order", "Position"], "Spot": ["SpotTrade"],
                              "Wallet": ["Withdraw"]}),
    "okx": okx_config(perm="read_only,withdraw,trade"),
    "kucoin": kucoin_key(permission="General,Spot,Withdraw"),
    "kraken": kraken_key(perms=("query-funds", "create-modify-orders", "withdraw-funds")),
    "binance": binance_restrictions(enableWithdrawals=True),
}


@pytest.mark.parametrize("exchange", list(SETUPS))
def test_withdraw_permission_refused(make_adapter, exchange):
    adapter, _ = setup(make_adapter, exchange, WITHDRAW[exchange])
    result = verify(exchange, adapter)
    assert not result.ok and "withdraw_permission" in result.codes()
    message = next(p.message for p in result.problems if p.code == "withdraw_permission")
    assert "withdrawal permission (" in message  # names the venue's permission


TRANSFER = {
    "bybit": bybit_key(perms={"ContractTrade": ["Order", "Position"], "Spot": ["SpotTrade"],
                              "Wallet": ["AccountTransfer", "SubMemberTransfer"]}),
    "kucoin": kucoin_key(permission="General,Spot,InnerTransfer,Transfer"),
    "binance": binance_restrictions(permitsUniversalTransfer=True),
}


@pytest.mark.parametrize("exchange", list(TRANSFER))
def test_transfer_permission_refused(make_adapter, exchange):
    adapter, _ = setup(make_adapter, exchange, TRANSFER[exchange])
    result = verify(exchange, adapter)
    assert result.codes() == ("transfer_permission",)
    assert {"bybit": "Wallet:AccountTransfer", "kucoin": "InnerTransfer",
            "binance": "permitsUniversalTransfer"}[exchange] in result.problems[0].message


@pytest.mark.parametrize(("exchange", "body"), [
    ("bybit", bybit_key(expired="2025-05-01T00:00:00Z")),
    ("kraken", kraken_key(until=str(int(datetime(2025, 5, 1, tzinfo=UTC).timestamp())))),
])
def test_expired_key(make_adapter, exchange, body):
    adapter, _ = setup(make_adapter, exchange, body)
    result = verify(exchange, adapter)
    assert "key_expired" in result.codes()
    assert result.facts.expires_at == datetime(2025, 5, 1, tzinfo=UTC)


def test_bybit_expired_error_code(make_adapter):
    adapter, _ = setup(make_adapter, "bybit",
                       {"retCode": 33004, "retMsg": "api key expired", "result": {}})
    assert verify("bybit", adapter).codes() == ("key_expired",)


BAD_SECRET = {
    "bybit": ({"retCode": 10004, "retMsg": "error sign!", "result": {}}, 200),
    "okx": ({"code": "50113", "msg": "Invalid Sign", "data": []}, 401),
    "kucoin": ({"code": "400005", "msg": "Invalid KC-API-SIGN"}, 401),
    "kraken": ({"error": ["EAPI:Invalid key"]}, 200),
    "binance": ({"code": -1022, "msg": "Signature for this request is not valid."}, 400),
}


@pytest.mark.parametrize("exchange", list(SETUPS))
def test_bad_secret(make_adapter, exchange, caplog):
    body, status = BAD_SECRET[exchange]
    adapter, _ = setup(make_adapter, exchange, body, key_status=status)
    result = verify(exchange, adapter)
    assert result.codes() == ("key_invalid",)
    assert not result.ok
    for secret in adapter._credentials.values():
        assert secret not in repr(result) and secret not in caplog.text


@pytest.mark.parametrize("exchange", ["okx", "kucoin"])
def test_bad_passphrase_is_named(make_adapter, exchange):
    body = ({"code": "50105", "msg": "Invalid OK-ACCESS-PASSPHRASE", "data": []}
            if exchange == "okx" else {"code": "400004", "msg": "Invalid KC-API-PASSPHRASE"})
    adapter, _ = setup(make_adapter, exchange, body, key_status=401)
    result = verify(exchange, adapter)
    assert result.codes() == ("key_invalid",) and "passphrase" in result.problems[0].message


IP_MISMATCH = {"bybit": bybit_key(ips=("198.51.100.1",)), "okx": okx_config(ip="198.51.100.1"),
               "kucoin": kucoin_key(ip="198.51.100.1"), "kraken": kraken_key(
                   ips=("198.51.100.1",))}


@pytest.mark.parametrize("exchange", list(IP_MISMATCH))
def test_ip_whitelist_mismatch(make_adapter, exchange):
    adapter, _ = setup(make_adapter, exchange, IP_MISMATCH[exchange])
    result = verify(exchange, adapter)
    assert result.codes() == ("ip_whitelist_mismatch",)
    assert "203.0.113.7" in result.problems[0].message
    assert result.facts.ips == ("198.51.100.1",)


@pytest.mark.parametrize("exchange", ["bybit", "okx", "binance"])
def test_ip_whitelist_missing(make_adapter, exchange):
    body = {"bybit": bybit_key(ips=()), "okx": okx_config(ip=""),
            "binance": binance_restrictions(ipRestrict=False)}[exchange]
    adapter, _ = setup(make_adapter, exchange, body)
    assert verify(exchange, adapter).codes() == ("ip_whitelist_missing",)


def test_request_from_non_whitelisted_ip(make_adapter):
    adapter, _ = setup(make_adapter, "bybit", {"retCode": 10010, "retMsg": "Unmatched IP, "
                                               "please check your API key's bound IP addresses.",
                                               "result": {}})
    result = verify("bybit", adapter)
    assert result.codes() == ("ip_not_allowed",) and "203.0.113.7" in result.problems[0].message


@pytest.mark.parametrize("exchange", list(SETUPS))
def test_insufficient_funds_with_hint(make_adapter, exchange):
    adapter, http = setup(make_adapter, exchange, GOOD_KEY[exchange], balance="120")
    result = verify(exchange, adapter)
    assert result.codes() == ("insufficient_funds",)
    base = SETUPS[exchange][-1]
    wallet = adapter.wallet_names[adapter.kind]
    message = result.problems[0].message
    assert message.startswith(f"Insufficient funds: 120 {base} on the {wallet}, "
                              f"500 {base} required.")
    if exchange in ("bybit", "okx", "kucoin", "binance"):
        assert "Funding" in message
    assert result.facts.balance == Decimal(120)
    assert not any("asset" in c.path or "funding" in c.path for c in http.calls)


def test_bybit_message_matches_the_issue(make_adapter):
    adapter, _ = setup(make_adapter, "bybit", GOOD_KEY["bybit"], balance="120")
    message = verify("bybit", adapter).problems[0].message
    assert message.startswith(
        "Insufficient funds: 120 USDT on the Unified Trading account, 500 USDT required. "
        "Move funds from your Funding account to your Unified Trading account")


def test_read_only_key_cannot_trade(make_adapter):
    adapter, _ = setup(make_adapter, "bybit", bybit_key(read_only=1))
    assert verify("bybit", adapter).codes() == ("trade_permission_missing",)
    adapter, _ = setup(make_adapter, "okx", okx_config(perm="read_only"))
    assert verify("okx", adapter).codes() == ("trade_permission_missing",)
    adapter, _ = setup(make_adapter, "kucoin", kucoin_key(permission="General,Futures"))
    assert verify("kucoin", adapter).codes() == ("trade_permission_missing",)


def test_sync_wrapper(make_adapter):
    from sequence.exchanges.verify import verify_key_sync

    adapter, _ = setup(make_adapter, "okx", GOOD_KEY["okx"])
    result = verify_key_sync("okx", "linear", adapter._credentials, "USDT", Decimal(1),
                             egress_ips=EGRESS, adapter=adapter, now=NOW)
    assert result.ok and result.facts.is_subaccount is False

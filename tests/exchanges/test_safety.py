"""No withdraw or transfer path; secrets never shown; errors mapped; credential form checks."""

from __future__ import annotations

import base64
import logging
import pickle
from decimal import Decimal

import ccxt
import pytest

from sequence.exchanges import errors
from sequence.exchanges.credentials import check_credentials
from sequence.exchanges.domain import OrderRequest, Side
from sequence.exchanges.guard import AllowListedExchange
from sequence.exchanges.port import ExchangePort
from sequence.exchanges.ratelimit import TokenBucket
from sequence.exchanges.secret import Credentials, Secret
from tests.exchanges.conftest import CANARY_KEY, CANARY_PASS, CANARY_SECRET, run
from tests.exchanges.fakehttp import FakeHttp
from tests.exchanges.seed import seed

FORBIDDEN = ["withdraw", "transfer", "private_post_v5_asset_withdraw_create",
             "private_post_v5_asset_transfer_inter_transfer",
             "privatePostV5AssetWithdrawCreate", "private_post_asset_withdrawal",
             "sapi_post_asset_transfer", "private_post_withdraw", "fetch2", "request",
             "sign", "secret", "apiKey", "password"]


@pytest.mark.parametrize("exchange", ["bybit", "okx", "kucoin", "kraken", "binance",
                                      "binanceus"])
def test_withdraw_and_transfer_are_impossible(make_adapter, exchange):
    kind = "linear" if exchange in ("bybit", "okx") else "spot"
    adapter = make_adapter(exchange, kind)
    assert isinstance(adapter, ExchangePort)
    assert not any(hasattr(adapter, n) for n in ("withdraw", "transfer"))
    for name in FORBIDDEN:
        with pytest.raises(errors.ForbiddenOperationError):
            getattr(adapter._ex, name)
    with pytest.raises(errors.ForbiddenOperationError):
        adapter._ex.markets = {}


def test_guard_refuses_to_allow_list_a_withdraw_method():
    with pytest.raises(errors.ForbiddenOperationError):
        AllowListedExchange(object(), implicit={"private_post_v5_asset_withdraw_create"})


def test_request_level_guard_blocks_even_ccxt_internal_calls(make_adapter):
    adapter = make_adapter("bybit", "linear")
    http = FakeHttp(adapter._raw)
    http.add("/v5/asset/withdraw/create", {"retCode": 0, "result": {}})
    with pytest.raises(errors.ForbiddenOperationError):
        run(adapter._raw.private_post_v5_asset_withdraw_create({"coin": "USDT"}))
    with pytest.raises(errors.ForbiddenOperationError):
        run(adapter._raw.private_post_v5_asset_transfer_inter_transfer({"coin": "USDT"}))
    assert http.calls == []  # nothing left the process


def test_secret_never_shown():
    creds = Credentials.of(CANARY_KEY, CANARY_SECRET, CANARY_PASS)
    for text in (repr(creds), str(creds), f"{creds.secret}", f"{creds.api_key!r}",
                 str([creds]), repr(Secret("x"))):
        for value in (CANARY_KEY, CANARY_SECRET, CANARY_PASS):
            assert value not in text
    assert creds.secret.reveal() == CANARY_SECRET and creds.api_key.last4() == "r4Tz4W"[-4:]
    with pytest.raises(TypeError):
        pickle.dumps(creds.secret)


def test_no_secret_in_adapter_repr_errors_or_logs(make_adapter, caplog):
    adapter = make_adapter("okx", "linear")
    seed(adapter, ("BTC/USDT:USDT", "BTC-USDT-SWAP", 0.01, {}))
    http = FakeHttp(adapter._raw)
    body = {"code": "1", "msg": "", "data": [{"sCode": "51008", "sMsg": f"echo {CANARY_KEY}"}]}
    http.add("/api/v5/trade/order", body, method="POST")
    caplog.set_level(logging.DEBUG)
    logging.getLogger("ccxt").setLevel(logging.DEBUG)
    with pytest.raises(errors.InsufficientFundsError) as info:
        run(adapter.create_order(OrderRequest("BTC/USDT:USDT", Side.BUY, Decimal(1),
                                              Decimal(1), "c1")))
    # what ccxt's real fetch logs at DEBUG: the request headers, with key and passphrase
    adapter._raw.logger.debug("%s %s, Request: %s %s", "GET", "https://x/y",
                              {"OK-ACCESS-KEY": CANARY_KEY, "OK-ACCESS-PASSPHRASE": CANARY_PASS},
                              None)
    assert "Request" in caplog.text and "[redacted]" in caplog.text
    texts = [repr(adapter), repr(adapter._ex), str(info.value), caplog.text]
    for text in texts:
        for value in (CANARY_KEY, CANARY_SECRET, CANARY_PASS):
            assert value not in text


@pytest.mark.parametrize(("exc", "exchange", "expected"), [
    (ccxt.InvalidOrder('bybit {"retCode":110072,"retMsg":"OrderLinkedID is duplicate"}'),
     "bybit", errors.DuplicateClientOrderIdError),
    (ccxt.InvalidOrder('okx {"code":"1","data":[{"sCode":"51016","sMsg":"Duplicated '
                       'clOrdId"}]}'), "okx", errors.DuplicateClientOrderIdError),
    (ccxt.InvalidOrder('kucoin {"code":"126044","msg":"clientOid duplicated"}'), "kucoin",
     errors.DuplicateClientOrderIdError),
    (ccxt.InvalidOrder('bybit {"retCode":110003,"retMsg":"price too high"}'), "bybit",
     errors.InvalidOrderError),
    (ccxt.RequestTimeout("bybit GET"), "bybit", errors.RetryableError),
    (ccxt.ExchangeNotAvailable("x"), "okx", errors.RetryableError),
    (ccxt.RateLimitExceeded('bybit {"retCode":10006}'), "bybit", errors.RateLimitedError),
    (ccxt.InvalidNonce("bybit 10002"), "bybit", errors.ClockSkewError),
    (ccxt.AuthenticationError('bybit {"retCode":10003}'), "bybit", errors.AuthenticationError),
    (ccxt.PermissionDenied('bybit {"retCode":10005}'), "bybit", errors.PermissionDeniedError),
    (ccxt.InsufficientFunds('bybit {"retCode":110007}'), "bybit",
     errors.InsufficientFundsError),
    (ccxt.OrderNotFound("x"), "okx", errors.OrderNotFoundError),
    (ccxt.BadRequest("x"), "okx", errors.PermanentError),
])
def test_error_mapping(exc, exchange, expected):
    mapped = errors.map_ccxt_error(exc, exchange)
    assert type(mapped) is expected
    assert mapped.retryable is issubclass(expected, errors.RetryableError)


def test_ip_error_and_redaction():
    err = errors.map_ccxt_error(ccxt.PermissionDenied(
        'bybit {"retCode":10010,"retMsg":"Unmatched IP"} key=' + CANARY_KEY), "bybit",
        [CANARY_KEY])
    assert err.ip_not_allowed and CANARY_KEY not in str(err)


def test_clock_skew_resyncs_and_retries(make_adapter):
    adapter = make_adapter("bybit", "linear")
    seed(adapter, ("BTC/USDT:USDT", "BTCUSDT", 1, {}))
    http = FakeHttp(adapter._raw)
    http.add("/v5/market/time", {"retCode": 0, "retMsg": "OK", "result": {
        "timeSecond": "1", "timeNano": "1"}, "time": adapter._raw.milliseconds() + 3000})
    http.add("/v5/account/wallet-balance", {"retCode": 0, "result": {"list": []}})
    http.add("/v5/account/wallet-balance", {"retCode": 10002, "retMsg": "invalid request, "
                                            "please check your server timestamp"}, times=1)
    run(adapter.fetch_balance())
    assert [c.path for c in http.calls].count("/v5/market/time") == 5
    assert 2500 < -adapter._raw.options["timeDifference"] < 3500


def test_token_bucket_is_shared_and_waits():
    now = [0.0]
    bucket = TokenBucket(10, 2, clock=lambda: now[0])
    assert bucket.reserve() == 0 and bucket.reserve() == 0
    assert bucket.reserve() == pytest.approx(0.1)
    now[0] = 1.0
    assert bucket.reserve() == 0


def test_adapters_share_the_limiter(make_adapter):
    a = make_adapter("bybit", "linear", egress_ip="203.0.113.7")
    b = make_adapter("bybit", "spot", egress_ip="203.0.113.7")
    c = make_adapter("bybit", "spot", egress_ip="198.51.100.1")
    assert a.rate_limiter is b.rate_limiter and a.rate_limiter is not c.rate_limiter


KRAKEN_SECRET = base64.b64encode(bytes(range(64))).decode()


@pytest.mark.parametrize(("exchange", "fields", "codes"), [
    ("bybit", {"api_key": " AbCdEf0123456789Gh ", "api_secret": "a" * 36}, []),
    ("bybit", {"api_key": "abc-def!", "api_secret": "a" * 36}, ["charset"]),
    ("bybit", {"api_key": "AbCdEf0123456789Gh", "api_secret":
               "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----"}, []),
    ("bybit", {"api_key": "AbCdEf0123456789Gh", "api_secret": "-----BEGIN PRIVATE KEY----"},
     ["pem"]),
    ("okx", {"api_name": "bot", "passphrase": "Pa$$w0rd", "api_secret": "A" * 32,
             "api_key": "5c1c9e2a-1b2c-4d5e-8f90-0123456789ab"}, []),
    ("okx", {"api_name": "bot", "passphrase": "", "api_secret": "A" * 32,
             "api_key": "5c1c9e2a-1b2c-4d5e-8f90-0123456789ab"}, ["required"]),
    ("okx", {"api_name": "bot", "passphrase": "x", "api_secret": "A" * 32,
             "api_key": "not-a-uuid"}, ["format"]),
    # a passphrase is chosen by the client: an inner space is refused, never dropped
    ("kucoin", {"api_name": "bot", "passphrase": "pass phrase", "api_key":
                "6705f5c311545b000157d3eb", "api_secret": "a" * 36}, ["charset"]),
    ("kucoin", {"api_name": "bot", "passphrase": " passphrase ", "api_key":
                "6705f5c311545b000157d3eb", "api_secret": "a" * 36}, []),  # ends trimmed
    ("kucoin", {"api_name": "bot", "passphrase": "pp", "api_key": "zz", "api_secret": "a" * 36},
     ["charset"]),
    ("kraken", {"api_key": "K" * 56, "private_key": KRAKEN_SECRET}, []),
    ("kraken", {"api_key": "K" * 56, "private_key": "not base64!"}, ["base64"]),
    ("kraken", {"api_key": "K" * 56, "private_key": base64.b64encode(b"x" * 32).decode()},
     ["length"]),
    ("binance", {}, []),
])
def test_credential_shapes(exchange, fields, codes):
    result = check_credentials(exchange, fields)
    assert [p.code for p in result.problems] == codes
    assert result.ok is (not codes)
    for value in fields.values():
        if len(value) > 8:
            assert value.strip() not in repr(result)

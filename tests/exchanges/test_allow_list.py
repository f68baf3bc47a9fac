"""The request guard is an allow-list (issue 14 item 10).

- Every endpoint each adapter's port methods call is in its allow-list, and the list holds
  nothing else (driven through the fake HTTP layer, in every account variant).
- A sample of value-moving endpoints, through ccxt's own implicit methods, is refused for
  every adapter before a request is built; so is a raw ``fetch`` that skips ``fetch2``.
- Production code never reaches an adapter's raw ccxt instance.
"""

from __future__ import annotations

import ast
import base64
from collections import defaultdict
from pathlib import Path

import pytest

from sequence.exchanges.domain import MarketKind
from sequence.exchanges.errors import ForbiddenOperationError
from sequence.exchanges.factory import ADAPTERS
from sequence.exchanges.guard import endpoint_list, install_guard
from sequence.exchanges.secret import Credentials
from tests.exchanges.conftest import run
from tests.exchanges.fakehttp import FakeHttp
from tests.exchanges.port_driver import SYMBOLS, VARIANTS, VENUE_IDS, attach, drive
from tests.exchanges.seed import seed

SRC = Path(__file__).resolve().parents[2] / "src" / "sequence"
KRAKEN_SECRET = base64.b64encode(bytes(range(64))).decode()


def build(make_adapter, exchange, kind, variant, *, seeded=True):
    creds = Credentials.of("K" * 56, KRAKEN_SECRET) if exchange == "kraken" else None
    adapter = make_adapter(exchange, kind, **({"credentials": creds} if creds else {}))
    rec = attach(adapter, variant)
    if seeded:
        symbol = SYMBOLS[MarketKind(kind)] if exchange != "kraken" else "BTC/USD"
        info = {}
        if exchange == "kraken":
            info = {"altname": "XBTUSD", "wsname": "XBT/USD"}
        elif exchange == "kucoin" and kind != "spot":
            info = {"baseId": "XBT"}
        elif exchange.startswith("binance"):
            info = {"orderTypes": ["LIMIT", "LIMIT_MAKER", "MARKET"]}
        seed(adapter, (symbol, VENUE_IDS[(exchange, kind)], None if kind == "spot" else 1,
                       info))
        if exchange == "kucoin":  # what ccxt learns at load time (the variant we drive)
            adapter._raw.options["hf"] = variant == "hf"
    return adapter, rec


@pytest.mark.parametrize(("exchange", "kind", "variant"), VARIANTS)
def test_every_port_method_stays_inside_the_allow_list(make_adapter, exchange, kind, variant):
    adapter, rec = build(make_adapter, exchange, kind, variant)
    outcomes = run(drive(adapter, rec))
    assert rec.refused == []
    assert "ForbiddenOperationError" not in outcomes.values()
    assert rec.endpoints <= adapter.endpoints
    # the order calls really went out (the driver is not silently failing early)
    assert outcomes["fetch_balance"] != "ForbiddenOperationError"
    assert any(e[0] in ("POST", "DELETE") for e in rec.endpoints)
    loader, rec2 = build(make_adapter, exchange, kind, variant, seeded=False)
    run(loader.load_markets())
    assert rec2.refused == [] and rec2.endpoints <= adapter.endpoints


def test_each_allow_list_is_exactly_what_its_port_methods_use(make_adapter):
    used: dict[str, set] = defaultdict(set)
    for exchange, kind, variant in VARIANTS:
        adapter, rec = build(make_adapter, exchange, kind, variant)
        run(drive(adapter, rec))
        loader, rec2 = build(make_adapter, exchange, kind, variant, seeded=False)
        run(loader.load_markets())
        used[exchange] |= rec.endpoints | rec2.endpoints
    for exchange, adapter_class in ADAPTERS.items():
        unused = adapter_class.endpoints - used[exchange]
        assert not unused, f"{exchange}: allow-listed but never called: {sorted(unused)}"


# Value-moving endpoints as ccxt's own implicit methods (each exists in ccxt 4.5.90).
VALUE_MOVING = {
    "bybit": ["private_post_v5_position_move_positions", "private_post_v5_account_borrow",
              "private_post_v5_account_repay", "private_post_v5_account_no_convert_repay",
              "private_post_v5_earn_place_order", "private_post_v5_user_create_sub_member",
              "private_post_v5_asset_withdraw_create",
              "private_post_v5_asset_transfer_inter_transfer",
              "private_post_v5_asset_transfer_universal_transfer"],
    "okx": ["private_post_account_move_positions", "private_post_account_borrow_repay",
            "private_post_asset_convert_dust_assets", "private_post_trade_easy_convert",
            "private_post_account_set_auto_earn", "private_post_finance_staking_defi_redeem",
            "private_post_users_subaccount_create_subaccount", "private_post_asset_withdrawal",
            "private_post_asset_transfer"],
    "kucoin": ["private_post_margin_borrow", "private_post_margin_repay",
               "private_post_convert_order", "earn_post_earn_orders",
               "private_post_sub_user_created", "private_post_withdrawals",
               "private_post_transfer_out", "futuresprivate_post_transfer_out",
               "private_post_accounts_sub_transfer"],
    "kraken": ["private_post_earn_allocate", "private_post_createsubaccount",
               "private_post_withdraw", "private_post_accounttransfer"],
    "binance": ["sapi_post_margin_borrow_repay", "sapi_post_convert_acceptquote",
                "sapi_post_simple_earn_flexible_subscribe",
                "sapi_post_sub_account_virtualsubaccount", "sapi_post_capital_withdraw_apply",
                "sapi_post_asset_transfer", "fapiprivate_post_convert_acceptquote"],
}
VALUE_MOVING["binanceus"] = VALUE_MOVING["binance"]


@pytest.mark.parametrize(("exchange", "kind"), [
    ("bybit", "linear"), ("bybit", "spot"), ("okx", "linear"), ("okx", "spot"),
    ("kucoin", "spot"), ("kucoin", "linear"), ("kraken", "spot"), ("binance", "spot"),
    ("binance", "linear"), ("binanceus", "spot")])
def test_value_moving_endpoints_are_refused_before_a_request_exists(make_adapter, exchange,
                                                                    kind):
    creds = Credentials.of("K" * 56, KRAKEN_SECRET) if exchange == "kraken" else None
    adapter = make_adapter(exchange, kind, **({"credentials": creds} if creds else {}))
    http = FakeHttp(adapter._raw)
    signed = []
    original_sign = adapter._raw.sign
    adapter._raw.sign = lambda *a, **k: signed.append(a) or original_sign(*a, **k)
    for name in VALUE_MOVING[exchange]:
        method = getattr(adapter._raw, name)  # ccxt's own method: it must exist
        with pytest.raises(ForbiddenOperationError, match="not an endpoint this adapter"):
            run(method({"coin": "USDT", "amount": "1"}))
    with pytest.raises(ForbiddenOperationError, match="raw"):
        run(adapter._raw.fetch("https://api.example.com/v5/asset/withdraw/create", "POST",
                               {}, "{}"))
    assert signed == [] and http.calls == []  # nothing was built, signed or sent


def test_an_allow_list_with_a_value_moving_endpoint_is_refused():
    for line in ("POST private v5/asset/withdraw/create", "POST private account/move-positions",
                 "POST sapi margin/borrow-repay", "POST private users/subaccount/create"):
        with pytest.raises(ForbiddenOperationError, match="value-moving"):
            install_guard(object(), endpoint_list(line), "test")


def test_every_adapter_declares_a_list():
    for exchange, adapter_class in ADAPTERS.items():
        assert adapter_class.endpoints, exchange


def test_production_code_never_reaches_the_raw_ccxt_instance():
    """``_raw`` is the unguarded ccxt object: only the adapter base may touch it."""
    allowed = {SRC / "exchanges" / "adapters" / "base.py"}
    offenders = []
    for path in SRC.rglob("*.py"):
        if path in allowed:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Attribute) and node.attr == "_raw":
                offenders.append(f"{path.relative_to(SRC)}:{node.lineno}")
            if isinstance(node, ast.Constant) and node.value == "_raw":
                offenders.append(f"{path.relative_to(SRC)}:{node.lineno} (getattr)")
    assert offenders == []

"""More of our Bybit and OKX adapters against the simulated exchange, over real HTTP.

Closes the gaps left by ``test_emulator_http.py``: hedge mode end to end (entries,
reduce-only take-profits, positions on both sides at once), duplicate client order ids
with the venue's own codes, a response dropped after the order was accepted, and
Bybit's inverse (coin-margined) perpetual. Real ccxt, only the base URL differs.

The market is scripted: a tiny candle file replayed with the clock paused (``speed=0``),
so each ``advance(candles=n)`` reaches known prices.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from sequence.exchanges.domain import (
    MarketKind,
    OrderRequest,
    OrderStatus,
    PositionMode,
    PositionSide,
    Side,
)
from sequence.exchanges.errors import (
    DuplicateClientOrderIdError,
    InsufficientFundsError,
    NotSupportedError,
    PermanentError,
    RetryableError,
    map_ccxt_error,
)
from sequence.venue import running_venue
from tests.exchanges.conftest import emulator_adapter as _adapter
from tests.exchanges.conftest import run
from tests.exchanges.conftest import venue_account as _account

LIN = "BTC/USDT:USDT"
INV = "BTC/USD:BTC"
D = Decimal

# One-minute candles (timestamp, open, high, low, close). The venue rebases them to now.
#   0: flat at 30000 (the starting price)
#   1: 29700..30300: fills a buy resting at 29800 and a sell resting at 30200
#   2: 30000..30600: fills a sell at 30500 (long take-profit), not a buy at 29500
#   3+: flat at 30000
SCRIPT = [
    (30000, 30000, 30000, 30000),
    (30000, 30300, 29700, 30000),
    (30000, 30600, 30000, 30000),
    (30000, 30000, 30000, 30000),
    (30000, 30000, 30000, 30000),
]


@pytest.fixture(scope="module")
def candle_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("candles") / "script.csv"
    t0 = 1_700_000_040_000 - 1_700_000_040_000 % 60_000
    lines = ["timestamp,open,high,low,close,volume"]
    lines += [f"{t0 + i * 60_000},{o},{h},{lo},{c},1" for i, (o, h, lo, c) in enumerate(SCRIPT)]
    path.write_text("\n".join(lines) + "\n")
    return str(path)


@pytest.fixture
def scripted(candle_file):
    """A fresh venue per test replaying SCRIPT, paused: only advance() moves the market."""
    with running_venue(candle_file, speed=0) as v:
        yield v


def _qty(exchange: str) -> Decimal:
    """0.01 BTC: Bybit linear counts in BTC, OKX BTC-USDT-SWAP in contracts of 0.01 BTC."""
    return D("0.01") if exchange == "bybit" else D(1)


def _by_cid(orders):
    return {o.client_order_id: o for o in orders}


# ------------------------------------------------------------------------- 1. hedge mode
@pytest.mark.parametrize("exchange", ["bybit", "okx"])
def test_hedge_mode_entries_take_profits_and_both_positions(scripted, exchange):
    key = _account(scripted, exchange)
    qty = _qty(exchange)
    tag = exchange[:2]
    long_in, short_in, long_tp, short_tp = (f"{tag}LongIn", f"{tag}ShortIn", f"{tag}LongTp",
                                            f"{tag}ShortTp")

    async def scenario():
        async with _adapter(scripted, exchange, "linear", key) as ad:
            await ad.load_markets()
            assert await ad.fetch_position_mode(LIN) is PositionMode.ONE_WAY
            await ad.set_position_mode(PositionMode.HEDGE, LIN)
            assert await ad.fetch_position_mode(LIN) is PositionMode.HEDGE

            # post-only entries on both sides of the market (last price 30000)
            await ad.create_order(OrderRequest(LIN, Side.BUY, qty, D(29800), long_in,
                                               position_side=PositionSide.LONG))
            await ad.create_order(OrderRequest(LIN, Side.SELL, qty, D(30200), short_in,
                                               position_side=PositionSide.SHORT))
            opened = _by_cid(await ad.fetch_open_orders(LIN))
            assert set(opened) == {long_in, short_in}
            for cid, side, pside, price in ((long_in, Side.BUY, PositionSide.LONG, 29800),
                                            (short_in, Side.SELL, PositionSide.SHORT, 30200)):
                found = await ad.fetch_order_by_client_id(LIN, cid)
                assert found is not None and found.id == opened[cid].id
                assert found.client_order_id == cid and found.status is OrderStatus.OPEN
                assert found.side is side and found.position_side is pside
                assert found.price == D(price) and found.amount == qty
                assert found.post_only is True and not found.reduce_only
                assert opened[cid].position_side is pside and opened[cid].post_only is True

            # candle 1 trades through both entries: a long and a short at the same time
            scripted.admin.advance(candles=2)
            for cid in (long_in, short_in):
                filled = await ad.fetch_order_by_client_id(LIN, cid)
                assert filled is not None and filled.status is OrderStatus.FILLED
                assert filled.filled == qty
            assert await ad.fetch_open_orders(LIN) == []
            positions = {p.side: p for p in await ad.fetch_positions([LIN])}
            assert set(positions) == {PositionSide.LONG, PositionSide.SHORT}
            for side, entry in ((PositionSide.LONG, 29800), (PositionSide.SHORT, 30200)):
                p = positions[side]
                assert p.symbol == LIN and p.hedged is True
                assert isinstance(p.size, Decimal) and p.size == qty
                assert p.entry_price == D(entry)

            # a reduce-only take-profit per side
            await ad.create_order(OrderRequest(LIN, Side.SELL, qty, D(30500), long_tp,
                                               reduce_only=True,
                                               position_side=PositionSide.LONG))
            await ad.create_order(OrderRequest(LIN, Side.BUY, qty, D(29500), short_tp,
                                               reduce_only=True,
                                               position_side=PositionSide.SHORT))
            opened = _by_cid(await ad.fetch_open_orders(LIN))
            assert set(opened) == {long_tp, short_tp}
            for cid, side, pside in ((long_tp, Side.SELL, PositionSide.LONG),
                                     (short_tp, Side.BUY, PositionSide.SHORT)):
                found = await ad.fetch_order_by_client_id(LIN, cid)
                assert found is not None and found.id == opened[cid].id
                assert found.side is side and found.position_side is pside
                assert found.reduce_only is True and found.post_only is True
                assert found.status is OrderStatus.OPEN

            # candle 2 reaches the long take-profit only: the long closes, the short stays
            scripted.admin.advance(candles=1)
            tp = await ad.fetch_order_by_client_id(LIN, long_tp)
            assert tp is not None and tp.status is OrderStatus.FILLED
            [short] = await ad.fetch_positions([LIN])
            assert short.side is PositionSide.SHORT and short.size == qty
            assert [o.client_order_id for o in await ad.fetch_open_orders(LIN)] == [short_tp]

            await ad.cancel_order(LIN, client_order_id=short_tp)
            assert await ad.fetch_open_orders(LIN) == []
            gone = await ad.fetch_order_by_client_id(LIN, short_tp)
            assert gone is not None and gone.status is OrderStatus.CANCELED
            [still] = await ad.fetch_positions([LIN])
            assert still.side is PositionSide.SHORT and still.size == qty

    run(scenario())

    # the venue's own books: only the hedge-mode short (positionIdx 2) is left
    state = scripted.admin.account(key.account_id)
    # Bybit switches one symbol; OKX's long_short_mode is account-wide
    assert state["hedge"] == ({"BTCUSDT-linear": True} if exchange == "bybit" else
                              {"BTCUSDT-linear": True, "BTCUSD-inverse": True})
    assert [(p["idx"], p["side"]) for p in state["positions"]] == [(2, "sell")]


@pytest.mark.parametrize("exchange", ["bybit", "okx"])
def test_hedge_mode_wire_position_side(venue, exchange):
    """The position side reaches the venue as positionIdx (Bybit) or posSide (OKX)."""
    key = _account(venue, exchange)
    qty = _qty(exchange)

    async def scenario():
        async with _adapter(venue, exchange, "linear", key) as ad:
            await ad.set_position_mode(PositionMode.HEDGE, LIN)
            await ad.create_order(OrderRequest(LIN, Side.BUY, qty, D(20000), "wireL",
                                               position_side=PositionSide.LONG))
            await ad.create_order(OrderRequest(LIN, Side.SELL, qty, D(40000), "wireS",
                                               position_side=PositionSide.SHORT))
            resting = venue.admin.account(key.account_id)["open_orders"]
            for cid in ("wireL", "wireS"):
                await ad.cancel_order(LIN, client_order_id=cid)
            return resting

    resting = {o["link_id"]: o for o in run(scenario())}
    assert resting["wireL"]["position_idx"] == 1 and resting["wireL"]["side"] == "buy"
    assert resting["wireS"]["position_idx"] == 2 and resting["wireS"]["side"] == "sell"
    assert not resting["wireL"]["reduce_only"] and not resting["wireS"]["reduce_only"]


# ---------------------------------------------------------- 2. duplicate client order id
@pytest.mark.parametrize(("exchange", "code"), [("bybit", "110072"), ("okx", "51016")])
def test_duplicate_client_order_id(venue, exchange, code):
    key = _account(venue, exchange)
    qty = _qty(exchange)
    cid = f"dup{exchange}"

    async def scenario():
        async with _adapter(venue, exchange, "linear", key) as ad:
            first = await ad.create_order(OrderRequest(LIN, Side.BUY, qty, D(20000), cid))
            with pytest.raises(DuplicateClientOrderIdError) as info:
                await ad.create_order(OrderRequest(LIN, Side.BUY, qty * 2, D(21000), cid))
            err = info.value
            assert err.code == code and err.exchange == exchange and not err.retryable
            assert key.secret not in str(err) and key.api_key not in str(err)
            found = await ad.fetch_order_by_client_id(LIN, cid)
            assert found is not None and found.id == first.id
            assert found.price == D(20000) and found.amount == qty  # the first, untouched
            [only] = await ad.fetch_open_orders(LIN)
            assert only.id == first.id and only.client_order_id == cid
            await ad.cancel_order(LIN, client_order_id=cid)

    run(scenario())


def test_okx_error_code_is_the_order_scode_not_the_envelope():
    """OKX wraps a rejected order in {"code":"1", data:[{"sCode":...}]}: keep the sCode."""
    import ccxt

    body = ('okx {"code":"1","data":[{"clOrdId":"a1","ordId":"","sCode":"51008","sMsg":'
            '"Insufficient USDT"}],"msg":"All operations failed"}')
    err = map_ccxt_error(ccxt.InsufficientFunds(body), "okx")
    assert isinstance(err, InsufficientFundsError) and err.code == "51008"
    err = map_ccxt_error(ccxt.BadRequest('bybit {"retCode":10001,"retMsg":"params error"}'),
                         "bybit")
    assert err.code == "10001"


# ------------------------------------------------- 3. response lost after the order was taken
CREATE_PATH = {"bybit": "/v5/order/create", "okx": "/api/v5/trade/order"}


@pytest.mark.parametrize("exchange", ["bybit", "okx"])
def test_dropped_create_response_is_retryable_and_order_is_found(venue, exchange):
    key = _account(venue, exchange)
    qty = _qty(exchange)
    cid = f"drop{exchange}"

    async def scenario():
        async with _adapter(venue, exchange, "linear", key) as ad:
            await ad.load_markets()
            fault = venue.admin.fault("drop", path=CREATE_PATH[exchange], method="POST",
                                      count=1)
            try:
                with pytest.raises(RetryableError) as info:
                    await ad.create_order(OrderRequest(LIN, Side.BUY, qty, D(20000), cid))
                assert info.value.retryable
                faults = venue.admin.call("GET", "/admin/faults")["faults"]
                assert [f["fired"] for f in faults if f["id"] == fault["id"]] == [1]
            finally:
                venue.admin.clear_faults()
            # SECURITY.md section 3: look the client id up before sending again
            found = await ad.fetch_order_by_client_id(LIN, cid)
            assert found is not None and found.client_order_id == cid
            assert found.status is OrderStatus.OPEN and found.price == D(20000)
            # a blind resend would not double the order: the venue refuses the id
            with pytest.raises(DuplicateClientOrderIdError):
                await ad.create_order(OrderRequest(LIN, Side.BUY, qty, D(20000), cid))
            [only] = await ad.fetch_open_orders(LIN)
            assert only.id == found.id
            await ad.cancel_order(LIN, client_order_id=cid)

    run(scenario())


# --------------------------------------------------------------------- 4. Bybit inverse
def test_bybit_inverse_one_way(scripted):
    key = _account(scripted, "bybit")

    async def scenario():
        async with _adapter(scripted, "bybit", MarketKind.INVERSE, key) as ad:
            market = (await ad.load_markets())[INV]
            assert market.kind is MarketKind.INVERSE and market.settle == "BTC"
            wallet = await ad.fetch_balance()
            assert wallet.get("BTC").total == D(1) and wallet.get("BTC").free == D(1)
            assert await ad.fetch_position_mode(INV) is PositionMode.ONE_WAY
            with pytest.raises(NotSupportedError) as info:  # refused before any request
                await ad.set_position_mode(PositionMode.HEDGE, INV)
            assert info.value.exchange == "bybit" and not info.value.retryable
            assert await ad.fetch_position_mode(INV) is PositionMode.ONE_WAY
            assert scripted.admin.account(key.account_id)["hedge"] == {}

            # one-way: no position side; 100 contracts of 1 USD
            await ad.create_order(OrderRequest(INV, Side.BUY, D(100), D(29800), "invBuy1"))
            found = await ad.fetch_order_by_client_id(INV, "invBuy1")
            assert found is not None and found.status is OrderStatus.OPEN
            assert found.position_side is None and found.amount == D(100)
            assert [o.client_order_id for o in await ad.fetch_open_orders(INV)] == ["invBuy1"]
            with pytest.raises(PermanentError):  # hedge-mode order on a one-way market
                await ad.create_order(OrderRequest(INV, Side.SELL, D(100), D(30500), "invBad",
                                                   position_side=PositionSide.SHORT))

            scripted.admin.advance(candles=2)  # candle 1 reaches 29800
            filled = await ad.fetch_order_by_client_id(INV, "invBuy1")
            assert filled is not None and filled.status is OrderStatus.FILLED
            [pos] = await ad.fetch_positions([INV])
            assert pos.symbol == INV and pos.side is PositionSide.LONG
            assert isinstance(pos.size, Decimal) and pos.size == D(100)  # contracts (USD)
            assert pos.entry_price == D(29800) and pos.hedged is False
            btc = (await ad.fetch_balance()).get("BTC")
            fee = D(100) / D(29800) * D("0.0002")  # maker fee, paid in BTC
            assert abs(btc.total - (1 - fee)) < D("1e-8")
            assert btc.free < btc.total  # position margin is in BTC
            # the linear market is untouched
            assert (await ad.fetch_balance()).get("USDT").total == D(1000)

    run(scenario())

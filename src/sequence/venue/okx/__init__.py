"""OKX v5 over HTTP (``/api/v5/...``), as ccxt's ``okx`` class calls it.

Authentication as the real one: headers ``OK-ACCESS-KEY``, ``OK-ACCESS-PASSPHRASE``,
``OK-ACCESS-TIMESTAMP`` (ISO 8601 with milliseconds), ``OK-ACCESS-SIGN`` = base64
HMAC-SHA256 of ``timestamp + METHOD + path(?query) + body``. The timestamp must be
within 30 s of the wall clock. Rejections (HTTP 401 for authentication):

=====  ========================================  =======================
code   when                                      ccxt raises
=====  ========================================  =======================
50103  no key header                             AuthenticationError
50111  unknown (or expired: OKX deletes) key     AuthenticationError
50104  no passphrase / 50105 wrong passphrase    AuthenticationError
50107  no timestamp / 50112 malformed           AuthenticationError
50102  timestamp more than 30 s off              InvalidNonce
50113  bad signature                             AuthenticationError
50110  caller's IP not in the whitelist          PermissionDenied
50120  key lacks the trade permission            ExchangeError
51016  duplicate ``clOrdId`` (sCode)             InvalidOrder
51008  insufficient balance or margin (sCode)    InsufficientFunds
51169  reduce-only with nothing to reduce        ExchangeError
51400  cancel: order does not exist              OrderNotFound
51603  order does not exist                      OrderNotFound
59000  position mode: positions or orders exist  ExchangeError
=====  ========================================  =======================

Sizes: SPOT ``sz`` is in the base coin; SWAP ``sz`` is in contracts
(``BTC-USDT-SWAP``: 0.01 BTC; ``BTC-USD-SWAP``: 100 USD).
"""

from __future__ import annotations

from aiohttp import web

from sequence.venue.okx import account, history, market, trade


def register(app: web.Application) -> None:
    get, post = app.router.add_get, app.router.add_post
    p = "/api/v5"
    get(f"{p}/public/time", market.server_time)
    get(f"{p}/public/instruments", market.instruments)
    get(f"{p}/system/status", market.status)
    get(f"{p}/market/ticker", market.ticker)
    get(f"{p}/market/tickers", market.tickers)
    get(f"{p}/market/books", market.books)
    get(f"{p}/market/candles", market.candles)
    get(f"{p}/market/history-candles", market.candles)
    get(f"{p}/market/trades", market.trades)
    get(f"{p}/market/history-trades", market.trades)
    get(f"{p}/account/config", account.account_config)
    get(f"{p}/account/balance", account.balance)
    get(f"{p}/asset/balances", account.funding_balances)
    get(f"{p}/asset/currencies", account.currencies)
    get(f"{p}/account/positions", account.positions)
    get(f"{p}/account/positions-history", history.positions_history)
    post(f"{p}/account/set-position-mode", account.set_position_mode)
    post(f"{p}/account/set-leverage", account.set_leverage)
    get(f"{p}/account/leverage-info", account.leverage_info)
    get(f"{p}/account/trade-fee", account.trade_fee)
    post(f"{p}/trade/order", trade.place_order)
    post(f"{p}/trade/batch-orders", trade.batch_orders)
    post(f"{p}/trade/cancel-order", trade.cancel_order)
    post(f"{p}/trade/amend-order", trade.amend_order)
    post(f"{p}/trade/cancel-batch-orders", trade.cancel_batch)
    get(f"{p}/trade/order", trade.get_order)
    get(f"{p}/trade/orders-pending", trade.orders_pending)
    get(f"{p}/trade/orders-history", trade.orders_history)
    get(f"{p}/trade/orders-history-archive", trade.orders_history)
    get(f"{p}/trade/fills", trade.fills)
    get(f"{p}/trade/fills-history", trade.fills)
    get(f"{p}/account/bills", account.bills)
    get(f"{p}/account/bills-archive", account.bills)
    get(f"{p}/asset/deposit-history", account.deposit_history)
    get(f"{p}/asset/withdrawal-history", account.withdrawal_history)

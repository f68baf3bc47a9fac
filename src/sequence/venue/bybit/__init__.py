"""Bybit v5 over HTTP (unified trading account, UTA 2.0), as ccxt's ``bybit`` class calls it.

Authentication as the real one: headers ``X-BAPI-API-KEY``, ``X-BAPI-TIMESTAMP``,
``X-BAPI-RECV-WINDOW`` (default 5000), ``X-BAPI-SIGN`` = hex HMAC-SHA256 of
``timestamp + api_key + recv_window + (raw query string | JSON body)``. The
timestamp is checked against the wall clock (``server - recv_window <= ts <
server + 1000``), never the market clock. Rejections and their codes:

======  ==============================================  =====================
code    when                                            ccxt raises
======  ==============================================  =====================
10003   missing or unknown key                          AuthenticationError
10002   timestamp outside the receive window            InvalidNonce
10004   bad signature                                   AuthenticationError
33004   key expired                                     AuthenticationError
10010   caller's IP not in the key's whitelist          PermissionDenied
10005   the key lacks the permission                    PermissionDenied
110072  duplicate ``orderLinkId``                       InvalidOrder
110007  not enough available balance                    InsufficientFunds
110017  reduce-only would not reduce a position         InvalidOrder
110001  order not found (cancel)                        OrderNotFound
110025  position mode not modified                      NoChange
110024  position exists: cannot switch mode             BadRequest
110028  open orders exist: cannot switch mode           BadRequest
10001   bad parameter                                   BadRequest
======  ==============================================  =====================

Also 10006 (rate limit, see ``limits.py``) and 110094 (below the minimum order
value). Endpoints: see :func:`register` (and the README's table).
"""

from __future__ import annotations

from aiohttp import web

from sequence.venue.bybit import account, batch, executions, market, position, trade


def register(app: web.Application) -> None:
    r = app.router
    get, post = r.add_get, r.add_post
    get("/v5/market/time", market.server_time)
    get("/v5/system/status", market.system_status)
    get("/v5/market/instruments-info", market.instruments_info)
    get("/v5/market/tickers", market.tickers)
    get("/v5/market/orderbook", market.orderbook)
    get("/v5/market/kline", market.kline)
    get("/v5/market/recent-trade", market.recent_trade)
    get("/v5/asset/coin/query-info", account.coin_info)
    get("/v5/user/query-api", account.query_api)
    get("/v5/account/info", account.account_info)
    post("/v5/account/set-margin-mode", account.set_margin_mode)
    get("/v5/account/wallet-balance", account.wallet_balance)
    get("/v5/account/fee-rate", account.fee_rate)
    get("/v5/account/transaction-log", account.transaction_log)
    get("/v5/asset/transfer/query-account-coins-balance", account.fund_balance)
    get("/v5/asset/deposit/query-record", account.deposit_records)
    get("/v5/asset/withdraw/query-record", account.withdraw_records)
    get("/v5/asset/transfer/query-inter-transfer-list", account.inter_transfers)
    post("/v5/order/create", trade.create_order)
    post("/v5/order/cancel", trade.cancel_order)
    post("/v5/order/cancel-all", trade.cancel_all)
    post("/v5/order/amend", trade.amend_order)
    post("/v5/order/create-batch", batch.create_batch)
    post("/v5/order/cancel-batch", batch.cancel_batch)
    get("/v5/order/realtime", trade.order_realtime)
    get("/v5/order/history", trade.order_history)
    get("/v5/position/list", position.position_list)
    get("/v5/position/closed-pnl", position.closed_pnl)
    post("/v5/position/switch-mode", position.switch_mode)
    post("/v5/position/set-leverage", position.set_leverage)
    get("/v5/execution/list", executions.execution_list)

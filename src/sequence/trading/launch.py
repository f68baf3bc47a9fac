"""Launch (D3) and wind-down: setting the account up before the first order, and cleaning up after stop.

At launch the account gets what the strategy needs, or the launch is refused with the reason:

- two-sided strategies need hedge mode (a long and a short position at once); Bybit's inverse
  contracts and Kraken are one-way, so they run one side only;
- spot runs one side, the one that spends the base currency (:func:`spot_side_refusal`);
- cross margin, and leverage enough for the wallet exposure limit on every side plus the
  resting orders: each side's position and its resting DCA ladder together stay within
  ``WEL * B`` (the ladder stops at the cap), entries and take-profits add nothing beyond
  it, so ``sides * WEL`` times a 25% margin for fees and price moves, rounded up.
"""

from __future__ import annotations

import logging
import math
from decimal import Decimal

from asgiref.sync import sync_to_async
from django.db import connection

from sequence.catalog.services import strategy_version_current
from sequence.exchanges.domain import MarginMode, PositionMode
from sequence.exchanges.errors import ExchangeError, NotSupportedError
from sequence.strategy.params import Params
from sequence.trading import services
from sequence.trading.models import Bot
from sequence.trading.notify import email_stopped
from sequence.trading.ports import egress_ip_for, forget_port, port_for

log = logging.getLogger(__name__)
ONE_WAY_ONLY = {("bybit", "inverse"), ("kraken", "spot"), ("kraken", "linear"), ("kraken", "inverse")}
MAX_LEVERAGE = Decimal(20)


def needed_leverage(params: Params) -> Decimal:
    sides = 2 if params.sides == "both" else 1
    return min(MAX_LEVERAGE, Decimal(max(1, math.ceil(sides * params.wallet_exposure_limit * 1.25))))


def spot_side_refusal(params: Params, base_currency: str, symbol: str) -> str:
    """Why a spot strategy cannot run as its parameters say ("" when it can).

    Spot runs the side that spends the base currency: with a USDT base the long side (it buys
    the coin on dips and sells the recoveries), with a BTC base the short side (it sells BTC on
    rallies and buys back more BTC). The other side would spend a currency the balance is not
    counted in, and the bot cannot borrow.
    """
    coin, _, quote = symbol.partition("/")
    quote = quote.split(":")[0]
    if params.sides == "both":
        return "Spot runs one side only: a strategy trading both sides cannot run on spot."
    if params.market != "spot":
        return "The strategy's parameters are not for spot (market 'derivatives'): it cannot run on a spot market."
    base = base_currency.upper()
    if base == coin.upper() and params.sides != "short":
        return (f"A spot strategy with a {coin} base trades the short side (it sells {coin} on rallies and "
                f"buys more back): this one trades the long side, which would spend {quote}.")
    if base == quote.upper() and params.sides != "long":
        return (f"A spot strategy with a {quote} base trades the long side (it buys {coin} on dips and sells "
                f"the recoveries): this one trades the short side, which would spend {coin}.")
    if base not in (coin.upper(), quote.upper()):
        return f"A spot strategy's base currency must be {coin} or {quote} on {symbol}, not {base_currency}."
    return ""


def _next_number() -> int:
    with connection.cursor() as cur:
        cur.execute("SELECT nextval('trading_bot_number')")
        return int(cur.fetchone()[0])


def _prepare(bot_id):
    bot = Bot.objects.select_related("offering__strategy", "offering__exchange", "credential", "user").get(pk=bot_id)
    version = strategy_version_current(strategy=bot.offering.strategy)
    if bot.number is None:
        Bot.objects.filter(pk=bot.pk, number__isnull=True).update(number=_next_number())
        bot.refresh_from_db(fields=["number"])
    bot.egress_ip = egress_ip_for(bot.number)
    return bot, version


async def launch(bot_id, actor_id) -> str:
    """The launch job's body. Returns "live" or the reason it was refused."""
    from django.contrib.auth import get_user_model

    actor = await sync_to_async(lambda: get_user_model().objects.filter(pk=actor_id).first())() if actor_id else None
    bot, version = await sync_to_async(_prepare)(bot_id)
    params = Params.from_mapping(version.params)
    kind = bot.offering.market_kind
    exchange = bot.offering.exchange_id
    two_sided = params.sides == "both"
    hedge = two_sided and kind != "spot"
    leverage = needed_leverage(params) if kind != "spot" else Decimal(1)
    reason = ""
    if two_sided and (exchange, kind) in ONE_WAY_ONLY:
        reason = (f"{bot.offering.exchange.name} {kind} markets are one-way: a strategy trading both sides "
                  "cannot run there (choose a one-sided strategy).")
    elif kind == "spot":
        reason = spot_side_refusal(params, bot.offering.strategy.base_currency, bot.offering.symbol)
    if not reason and bot.kind != Bot.Kind.PAPER and bot.credential_id is None:
        reason = "The bot has no verified key."
    if not reason and kind != "spot":
        try:
            port = await sync_to_async(port_for)(bot)
            symbol = bot.offering.symbol
            mode = await port.fetch_position_mode(symbol)
            want = PositionMode.HEDGE if hedge else PositionMode.ONE_WAY
            if mode is not want:
                await port.set_position_mode(want, symbol)
            await port.set_margin_mode(symbol, MarginMode.CROSS)
            await port.set_leverage(symbol, leverage)
        except NotSupportedError as exc:
            reason = f"The exchange cannot be set up for this strategy: {exc}"
        except ExchangeError as exc:
            reason = f"The exchange refused the set-up: {exc}"
    if reason:
        await sync_to_async(services.bot_launch_refused)(bot_id=bot.pk, actor=actor, reason=reason)
        return reason
    await sync_to_async(services.bot_mark_live)(bot_id=bot.pk, actor=actor, strategy_version=version,
                                                number=bot.number, egress_ip=bot.egress_ip, hedge=hedge,
                                                leverage=leverage)
    return "live"


async def wind_down(bot_id, operator_id) -> int:
    """After stop: cancel every order of the bot, tell the operator what position is left."""
    from django.contrib.auth import get_user_model


    bot = await sync_to_async(lambda: Bot.objects.select_related(
        "offering__strategy", "offering__exchange", "credential", "user").get(pk=bot_id))()
    operator = await sync_to_async(lambda: get_user_model().objects.filter(pk=operator_id).first())() \
        if operator_id else None
    # a step that loaded before the stop may still be trading: wait for it to end, so that
    # nothing it sends comes after the cancels below (a later step sees "stopped" and stands down)
    from sequence.trading.engine_jobs import no_step_of

    async with no_step_of(bot):
        return await _wind_down_locked(bot, operator)


async def _wind_down_locked(bot, operator) -> int:
    from sequence.trading import store

    port = await sync_to_async(port_for)(bot)
    symbol = bot.offering.symbol
    left = 0
    from sequence.engine.ids import is_ours

    for order in await port.fetch_open_orders(symbol):
        if not is_ours(order.client_order_id, int(bot.number or -1)):
            continue
        try:
            await port.cancel_order(symbol, client_order_id=order.client_order_id)
        except ExchangeError:
            left += 1
    positions = [{"side": p.side.value, "size": str(p.size), "entry_price": str(p.entry_price or ""),
                  "unit": "contracts"} for p in await port.fetch_positions([symbol]) if p.size > 0]
    await sync_to_async(store.mark_all_canceled)(bot.pk)
    await sync_to_async(email_stopped)(bot, operator=operator, positions=positions, open_orders_left=left)
    forget_port(bot.pk)
    return left

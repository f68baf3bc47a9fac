"""Reads of trading for pages: a bot's live position per side, resting orders, latest fills."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sequence.trading.models import Bot, BotEngine, BotSide, EngineEvent, Fill, Order
from sequence.trading.statuses import ENGINE_STATES, BotStatus, OrderState


@dataclass(frozen=True)
class LiveView:
    bot: Bot
    engine: BotEngine | None
    sides: list[BotSide]
    orders: list[Order]
    fills: list[Fill]
    events: list[EngineEvent]

    @property
    def unit(self) -> str:
        """What a side's size counts: USD contracts (inverse), the coin, or, for a BTC-base spot
        bot (its short side holds what its sales brought in), the quote currency."""
        kind = self.bot.offering.market_kind
        coin, _, quote = self.bot.offering.symbol.partition("/")
        if kind == "inverse":
            return "USD contracts"
        if kind == "spot" and self.bot.offering.strategy.base_currency.upper() == coin.upper():
            return quote.split(":")[0]
        return coin


def bot_live(bot: Bot, *, fills: int = 10, events: int = 10) -> LiveView:
    return LiveView(
        bot=bot,
        engine=BotEngine.objects.filter(bot=bot).first(),
        sides=list(BotSide.objects.filter(bot=bot).order_by("side")),
        orders=list(Order.objects.filter(bot=bot, state__in=(OrderState.OPEN, OrderState.PENDING))
                    .order_by("side", "kind", "level")),
        fills=list(Fill.objects.filter(bot=bot).order_by("-executed_at", "-pk")[:fills]),
        events=list(EngineEvent.objects.filter(bot=bot).order_by("-created_at", "-pk")[:events]),
    )


def bots_live(bots: list[Bot], *, fills: int = 10, events: int = 10) -> list[LiveView]:
    """`bot_live` of several bots in a fixed number of queries, whatever their number (the
    dashboard shows every bot of a client: one query per bot and table would grow with them)."""
    if not bots:
        return []
    ids = [bot.pk for bot in bots]
    engines = {engine.bot_id: engine for engine in BotEngine.objects.filter(bot_id__in=ids)}
    sides, orders = _by_bot(BotSide.objects.filter(bot_id__in=ids).order_by("side")), _by_bot(
        Order.objects.filter(bot_id__in=ids, state__in=(OrderState.OPEN, OrderState.PENDING))
        .order_by("side", "kind", "level"))
    latest_fills = _newest_per_bot(Fill.objects.filter(bot_id__in=ids), ("-executed_at", "-pk"), fills)
    latest_events = _newest_per_bot(EngineEvent.objects.filter(bot_id__in=ids), ("-created_at", "-pk"), events)
    return [LiveView(bot=bot, engine=engines.get(bot.pk), sides=sides.get(bot.pk, []), orders=orders.get(bot.pk, []),
                     fills=latest_fills.get(bot.pk, []), events=latest_events.get(bot.pk, [])) for bot in bots]


def _by_bot(rows) -> dict:
    out: dict = {}
    for row in rows:
        out.setdefault(row.bot_id, []).append(row)
    return out


def _newest_per_bot(queryset, order: tuple[str, ...], limit: int) -> dict:
    """The first `limit` rows of each bot in `order`, in one query (a window over the bots)."""
    if limit <= 0:
        return {}
    from django.db.models import F, Window
    from django.db.models.functions import RowNumber

    ordering = [F(name[1:]).desc() if name.startswith("-") else F(name).asc() for name in order]
    ranked = queryset.annotate(rank=Window(RowNumber(), partition_by=[F("bot_id")], order_by=ordering))
    return _by_bot(ranked.filter(rank__lte=limit).order_by("bot_id", *order))


def bot_for_user(*, user, bot_id) -> Bot | None:
    return Bot.objects.select_related("offering__strategy", "offering__exchange").filter(pk=bot_id, user=user).first()


def bot_for_operator(bot_id) -> Bot | None:
    return (Bot.objects.select_related("offering__strategy", "offering__exchange", "user", "credential",
                                       "strategy_version").filter(pk=bot_id).first())


def bots_for_operator() -> list[Bot]:
    return list(Bot.objects.select_related("offering__strategy", "offering__exchange", "user")
                .order_by("status", "-created_at"))


def actions_for(bot: Bot) -> list[str]:
    """The operator's buttons for this bot's state."""
    out = []
    if bot.status == BotStatus.AWAITING_LAUNCH:
        out.append("launch")
    if bot.status in ENGINE_STATES and "operator" not in bot.pause_reasons:
        out.append("pause")
    if "operator" in bot.pause_reasons:
        out.append("resume")
    if bot.status != BotStatus.STOPPED:
        out.append("stop")
    return out


def bots_stepping() -> list[tuple[Bot, BotEngine | None, list[BotSide]]]:
    """Each bot the engine steps (live or paused), its engine row and its sides."""
    bots = list(Bot.objects.select_related("offering__strategy", "offering__exchange")
                .filter(status__in=ENGINE_STATES).order_by("created_at"))
    engines = {e.bot_id: e for e in BotEngine.objects.filter(bot__in=bots)}
    sides = _by_bot(BotSide.objects.filter(bot__in=bots).order_by("side"))
    return [(b, engines.get(b.pk), sides.get(b.pk, [])) for b in bots]


def bot_fills(bot: Bot) -> list[Fill]:
    """The bot's whole fills ledger, oldest first (the exchange's trade ids included)."""
    return list(Fill.objects.filter(bot=bot).order_by("executed_at", "pk"))


@dataclass(frozen=True)
class FundingPayment:
    """A funding payment of the bot's market as the engine read it from the exchange's ledger."""

    record_id: str  # the exchange's ledger id
    ms: int  # its time (the exchange's)
    side: str  # long | short: the position that paid or received it; "" when not known
    amount: Decimal  # signed: positive received, negative paid
    currency: str
    price: Decimal | None  # the market's price when it was read (to value it in the other currency)


def _decimal(text) -> Decimal | None:
    try:
        return Decimal(str(text)) if text not in (None, "") else None
    except InvalidOperation:
        return None


def bot_funding(bot: Bot) -> list[FundingPayment]:
    """The funding payments the engine recorded for the bot (its ``funding`` events), oldest
    first, each exchange record once."""
    out: dict[str, FundingPayment] = {}
    for data in EngineEvent.objects.filter(bot=bot, kind="funding").order_by("pk").values_list("data", flat=True):
        amount = _decimal(data.get("amount"))
        if amount is None:
            continue
        key = str(data.get("id") or f"{data.get('ms')}:{data.get('currency')}:{amount}")
        out.setdefault(key, FundingPayment(record_id=str(data.get("id") or ""), ms=int(data.get("ms") or 0),
                                           side=str(data.get("side") or ""), amount=amount,
                                           currency=str(data.get("currency") or ""),
                                           price=_decimal(data.get("price"))))
    return sorted(out.values(), key=lambda f: f.ms)


def take_profit_fills_since(bot: Bot, since) -> list[Fill]:
    """The bot's take-profit fills executed at or after ``since`` (None: all), oldest first."""
    qs = Fill.objects.filter(bot=bot, kind="take_profit")
    if since is not None:
        qs = qs.filter(executed_at__gte=since)
    return list(qs.order_by("executed_at", "pk"))


def bot_engine_state(bot: Bot) -> tuple[BotEngine | None, list[BotSide]]:
    """The engine's last snapshot of a bot (balance, last price) and its sides."""
    return BotEngine.objects.filter(bot=bot).first(), list(BotSide.objects.filter(bot=bot).order_by("side"))


# --- for the console (sequence.ops): clients, attention, the demo -------------------------------

def _with_offering():
    return Bot.objects.select_related("offering__strategy", "offering__exchange")


def bots_with_credential(user) -> list[Bot]:
    """The client's bots, each with its offering and credential (dashboard, refresh form)."""
    return list(Bot.objects.filter(user=user).select_related("offering__strategy", "offering__exchange", "credential"))


def bots_with_key(user) -> list[Bot]:
    return [bot for bot in bots_with_credential(user) if bot.credential_id is not None]


def bots_with_key_expiring(*, before) -> list[Bot]:
    """Bots not stopped whose key expires before ``before`` (the key reminders' job)."""
    return list(Bot.objects.filter(credential__isnull=False, key_expires_at__lte=before)
                .exclude(status=BotStatus.STOPPED)
                .select_related("offering__strategy", "offering__exchange", "user", "credential"))


def bots_by_user(user_ids) -> dict:
    """user id -> their bots (offering joined), in one query whatever the number of users."""
    out: dict = {}
    for bot in _with_offering().filter(user_id__in=list(user_ids)):
        out.setdefault(bot.user_id, []).append(bot)
    return out


def bots_of(user) -> list[Bot]:
    return list(_with_offering().filter(user=user))


def bots_expiring(*, before) -> list[Bot]:
    """Bots not stopped whose key expires before ``before``, soonest first."""
    return list(Bot.objects.filter(key_expires_at__lte=before).exclude(status=BotStatus.STOPPED)
                .select_related("user", "offering__strategy", "offering__exchange").order_by("key_expires_at"))


def bots_count(*, status: str) -> int:
    return Bot.objects.filter(status=status).count()


def bot_first_on_offering(*, user, offering) -> Bot | None:
    """The user's oldest bot on that offering that is not stopped (the demo's own bot)."""
    return (Bot.objects.filter(user=user, offering=offering).exclude(status=BotStatus.STOPPED)
            .order_by("created_at").first())

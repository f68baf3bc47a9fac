"""The four rules, watched at the end of every step of every bot (``trading.hooks``).

The monitor runs inside the step's transaction with what the step saved: its events (the
engine's ``foreign_activity`` and ``deposit`` events, the latter for every fund move in the
ledger it read) and its new fills. It makes no exchange call. What it finds:

- a **manual trade**: a fill, or an order resting on the book, whose client order id does not
  decode to this bot (the engine marks them foreign) -> alert, pause (compliance);
- a **withdrawal above the limit without a notice**: an outflow (a withdrawal, or a transfer
  out of the trading wallet) whose share, added to the last 24 hours' outflows, is above the
  strategy's limit, and that no notice announced -> alert, pause (compliance);
- a **withdrawal of another asset** than the base, and a **deposit of another asset** -> alert.

A deposit in the base currency is no finding: the next cycle is sized from it (E2). An
outflow a notice announced completes that notice (the bot paused for it resumes). The rest of
a notice's cycle (the pause on its date, "safe to withdraw", expiry) does not wait for a
fund move: :func:`sequence.compliance.services.notices_progress` runs it (a periodic job).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from sequence.compliance import notify, selectors, services
from sequence.compliance.models import Alert, FundMove
from sequence.trading.hooks import StepSummary
from sequence.trading.selectors import bot_for_operator, bot_live

# An announced withdrawal may show a little more in the ledger (the exchange's fee).
NOTICE_TOLERANCE = Decimal("0.01")
OUTFLOW_KINDS = ("withdrawal", "transfer")
INFLOW_KINDS = ("deposit", "transfer")


class _Step:
    """One step's view, loading the bot only when something needs it."""

    def __init__(self, summary: StepSummary) -> None:
        self.s = summary
        self._bot = None
        self._before = _balance_before(summary)

    @property
    def bot(self):
        if self._bot is None:
            self._bot = bot_for_operator(self.s.bot_id)
        return self._bot

    def refresh(self) -> None:
        self._bot = None

    def take_before(self, out: Decimal, data: dict) -> Decimal:
        """The base balance just before this outflow (the share's denominator); the next one of
        the same step is of what this one left."""
        after = _decimal(data.get("balance_after"))
        before = after + out if after is not None and after >= 0 else self._before
        self._before = before - out
        return before


def _base_outflows(summary: StepSummary) -> Decimal:
    total = Decimal(0)
    for e in summary.events:
        if e.kind == "deposit" and e.data.get("currency") == summary.base_currency \
                and e.data.get("kind") in OUTFLOW_KINDS:
            amount = _decimal(e.data.get("amount"))
            if amount is not None and amount < 0:
                total -= amount
    return total


def _balance_before(summary: StepSummary) -> Decimal:
    """The balance of the last snapshot before this step's outflows.

    The previous step's balance, when that snapshot was taken before the money left: it is
    then higher than this one by about what left. A ledger can show a withdrawal a step later
    than the balance does (the previous snapshot then already lacks it): the balance now plus
    what left is then the balance before it, as it is when there is no previous snapshot.
    """
    out = _base_outflows(summary)
    now = summary.balance or Decimal(0)
    previous = summary.previous_balance
    if previous is not None and previous > 0 and previous - now >= out / 2:
        return previous
    return now + out


def on_step(summary: StepSummary) -> None:
    step = _Step(summary)
    for fill in summary.fills:
        if fill.foreign:
            _manual_trade(step, "fill", fill.trade_id, {"what": "fill", "side": "buy" if fill.buy else "sell",
                                                "price": str(fill.price), "qty": str(fill.qty),
                                                "client_order_id": fill.client_order_id})
    for event in summary.events:
        if event.kind == "foreign_activity" and event.data.get("what") == "open order":
            _manual_trade(step, "order", str(event.data.get("order_id") or ""), dict(event.data))
        elif event.kind == "deposit":
            _fund_move(step, event.data)


def _manual_trade(step: _Step, kind: str, record_id: str, data: dict) -> None:
    if not record_id:
        return
    services.alert_raise(bot=step.bot, kind=Alert.Kind.MANUAL_TRADE, record_id=f"{kind}:{record_id}",
                         data=data, pause=True)
    step.refresh()


def _decimal(value) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _fund_move(step: _Step, data: dict) -> None:
    s = step.s
    amount = _decimal(data.get("amount"))
    kind, currency = str(data.get("kind") or ""), str(data.get("currency") or "")
    if amount is None or amount == 0:
        return
    record_id = str(data.get("id") or f"{kind}:{currency}:{amount}:{s.market_ms}")[:80]
    if FundMove.objects.filter(bot_id=s.bot_id, record_id=record_id).exists():
        return
    outflow = amount < 0 and kind in OUTFLOW_KINDS
    inflow = amount > 0 and kind in INFLOW_KINDS
    move = FundMove(bot_id=s.bot_id, record_id=record_id, kind=kind, currency=currency, amount=amount)
    if currency and currency != s.base_currency and (outflow or inflow):
        move.save()
        alert_kind = Alert.Kind.NON_BASE_WITHDRAWAL if outflow else Alert.Kind.NON_BASE_DEPOSIT
        services.alert_raise(bot=step.bot, kind=alert_kind, record_id=record_id,
                             data={"currency": currency, "amount": str(abs(amount)), "ledger_kind": kind,
                                   **_valued(step, currency, abs(amount))}, pause=False)
        return
    if not outflow:  # a base deposit counts from the next cycle (E2): no finding
        move.save()
        return
    out = -amount
    before = step.take_before(out, data)
    move.balance_before = before
    move.share = out / before if before > 0 else Decimal(1)
    notice = selectors.covering_notice(s.bot_id, out, tolerance=NOTICE_TOLERANCE)
    move.notice = notice
    move.save()
    if notice is not None:
        services.notice_used(notice, record_id=record_id)
        step.refresh()
        return
    limit = selectors.withdrawal_limit(step.bot.offering.strategy_id)
    window = selectors.recent_outflow_share(s.bot_id, s.base_currency)  # this move included
    if window > limit:
        services.alert_raise(bot=step.bot, kind=Alert.Kind.LARGE_WITHDRAWAL, record_id=record_id,
                             data={"currency": currency, "amount": str(out), "balance_before": str(before),
                                   "share_pct": notify.pct(move.share), "window_pct": notify.pct(window),
                                   "limit_pct": notify.pct(limit), "ledger_kind": kind}, pause=True)
        step.refresh()


def _valued(step: _Step, currency: str, amount: Decimal) -> dict:
    """The amount in the strategy's unit of account, where the bot's own market prices it."""
    bot = step.bot
    coin, _, rest = bot.offering.symbol.partition("/")
    quote = rest.split(":")[0]
    engine = bot_live(bot, fills=0, events=0).engine
    price = engine.last_price if engine is not None else None
    if price and currency == coin and quote == step.s.base_currency:
        return {"value": str(amount * price), "value_currency": step.s.base_currency}
    return {}

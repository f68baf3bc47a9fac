"""Pages' data for the query-count tests and the web load bench: clients with live bots.

A client's bots go the submission's own way (sealed key, submission, bot, the verification
recorded as passed, the launch recorded) without an exchange: the verification's outcome is
handed to `submission_record_verification` as the verification job would, and the launch to
`bot_mark_live` as the launch job would. What the engine writes while trading (both sides,
resting orders, fills, events) is then added as rows, so that the pages have something to list.
Sign-in is set up as a person does it: an authenticator app confirmed with its current code.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import timedelta
from decimal import Decimal

import pyotp
from django.utils import timezone

from sequence.catalog.demo import seed_catalog
from sequence.catalog.models import Offering
from sequence.catalog.services import strategy_version_current
from sequence.onboarding.models import Submission
from sequence.onboarding.services import submission_create, submission_record_verification
from sequence.trading import services as trading
from sequence.trading.launch import _next_number
from sequence.trading.models import Bot, BotSide, EngineEvent, Fill, Order
from sequence.trading.statuses import OrderKind, OrderState, Side

# (strategy slug, exchange, market) of the offerings a client's bots trade, in turn
OFFERINGS = [("usdt-perp-hedge", "bybit", "derivatives"), ("usdt-perp-hedge", "okx", "derivatives"),
             ("usdt-spot-dca", "bybit", "spot")]
FILLS_PER_BOT = 12
EVENTS_PER_BOT = 3


def catalogue() -> list[Offering]:
    seed_catalog()
    return [Offering.objects.select_related("strategy", "exchange").get(
        strategy__slug=slug, exchange_id=exchange, market=market) for slug, exchange, market in OFFERINGS]


def totp_on(user) -> str:
    """An authenticator app set up and confirmed; returns its key (the bench signs in with it)."""
    from sequence.accounts.totp import totp_setup_begin, totp_setup_confirm

    setup = totp_setup_begin(user=user)
    totp_setup_confirm(user=user, code=pyotp.TOTP(setup.secret).now())
    return setup.secret


def live_bot(user, offering: Offering) -> Bot:
    """One bot of `user` on `offering`, submitted, verified and launched, with a trading history."""
    data = {"offering": offering, "kind": Submission.Kind.NEW, "anti_phishing_code": user.anti_phishing_code,
            "credential_values": {"api_key": "bench" + secrets.token_hex(8), "api_secret": secrets.token_hex(16)},
            "funded": True, "form_token": uuid.uuid4(), "api_name": "bench"}
    submission, _ = submission_create(user=user, data=data)
    # what the verification job does before it asks the exchange, then its passing outcome
    trading.bot_verifying(bot_id=submission.bot_id)
    Submission.objects.filter(pk=submission.pk).update(status=Submission.Status.VERIFYING,
                                                       verifying_since=timezone.now())
    submission_record_verification(submission_id=str(submission.pk),
                                   outcome={"ok": True, "facts": {}, "problems": []})
    bot = trading.bot_mark_live(bot_id=submission.bot_id, actor=None,
                                strategy_version=strategy_version_current(strategy=offering.strategy),
                                number=_next_number(), egress_ip="127.0.0.1", hedge=True, leverage=Decimal(3))
    _history(bot)
    return bot


def _history(bot: Bot) -> None:
    now = timezone.now()
    price = Decimal("30000")
    for side in (Side.LONG, Side.SHORT):
        BotSide.objects.create(bot=bot, side=side, cycle=2, cycle_balance=Decimal(1000), size=Decimal("0.003"),
                               entry_price=price, dca_count=1, order_seq=4)
        for kind, level in ((OrderKind.ENTRY, 0), (OrderKind.DCA, 1)):
            Order.objects.create(bot=bot, client_order_id=uuid.uuid4().hex, side=side, kind=kind, level=level,
                                 cycle=2, buy=side == Side.LONG, price=price, qty=Decimal("0.001"),
                                 state=OrderState.OPEN, exchange_order_id=uuid.uuid4().hex)
    Fill.objects.bulk_create([
        Fill(bot=bot, trade_id=f"t{i}", side=Side.LONG, kind=OrderKind.ENTRY, cycle=1, buy=True, price=price,
             qty=Decimal("0.001"), fee=Decimal("0.006"), fee_currency="USDT",
             executed_at=now - timedelta(minutes=i))
        for i in range(FILLS_PER_BOT)])
    EngineEvent.objects.bulk_create([
        EngineEvent(bot=bot, kind=EngineEvent.Kind.DEPOSIT, data={"amount": "100", "currency": "USDT"},
                    created_at=now - timedelta(minutes=i))
        for i in range(EVENTS_PER_BOT)])


def client_with_bots(make_user, email: str, offerings: list[Offering], bots: int = 3) -> tuple[object, list[Bot]]:
    user = make_user(email)
    return user, [live_bot(user, offerings[i % len(offerings)]) for i in range(bots)]


def signed_in_with_app(client, user, secret: str, password: str) -> None:
    """Sign in through the real views: password, then the app's code (the next step's: the
    current one was spent confirming the app, and one step of drift is accepted)."""
    import time

    response = client.post("/signin/", {"email": user.email, "password": password})
    assert response.status_code == 302, response.content
    code = pyotp.TOTP(secret).at(time.time() + 30)
    response = client.post("/signin/code/", {"code": code})
    lands_on = "/ops/" if user.is_operator else "/dashboard/"  # an operator lands on the console
    assert response.status_code == 302 and response.url.endswith(lands_on), response.content

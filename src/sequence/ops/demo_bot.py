"""Demo only: the demo client's Bybit bot, submitted, verified and launched by the demo operator.

It goes through the real paths: the submission service seals the trade-only key, the key is
verified against the simulated exchange, and the operator's Launch defers the launch job,
which the worker runs (hedge mode, cross margin, leverage) before the bot goes live and
trades the replayed candles. Idempotent: a client who already has the bot keeps it.
"""

from __future__ import annotations

import uuid

from sequence.accounts.selectors import user_by_email
from sequence.catalog.selectors import offering_of
from sequence.onboarding.services import submission_create, submission_verify
from sequence.trading import services as trading
from sequence.trading.selectors import bot_first_on_offering, bot_for_operator
from sequence.trading.statuses import BotStatus

DEMO_OFFERING = ("usdt-perp-hedge", "bybit", "derivatives")


def ensure_demo_bot(keys: list[dict]) -> str:
    client, operator = user_by_email("client@example.com"), user_by_email("operator@example.com")
    if client is None or operator is None:
        raise LookupError("the demo's people are missing: run seed_demo first")
    offering = offering_of(strategy_slug=DEMO_OFFERING[0], exchange=DEMO_OFFERING[1], market=DEMO_OFFERING[2])
    # the seed's own bot is the client's first on that offering; bots the client adds later are theirs
    bot = bot_first_on_offering(user=client, offering=offering)
    if bot is None:
        key = keys[0]  # the trade-only one
        data = {"offering": offering, "kind": "new", "anti_phishing_code": client.anti_phishing_code,
                "credential_values": {"api_key": key["api_key"], "api_secret": key["api_secret"]},
                "funded": True, "form_token": uuid.uuid4(), "api_name": "demo"}
        submission, _ = submission_create(user=client, data=data)
        submission_verify(submission_id=str(submission.pk))
        bot = bot_for_operator(submission.bot_id)
    if bot.status == BotStatus.AWAITING_LAUNCH and bot.launched_at is None:
        trading.bot_launch_request(bot_id=bot.pk, actor=operator)
    return bot.get_status_display()

"""Every status word of bots and submissions, defined once.

A submission's first three states are the bot's own (a new bot is "Submitted",
"Verifying", "Needs attention" together with its first submission), so both
choice sets are built from one list: a label changed here changes both.

The bot's state machine (``TRANSITIONS``)::

    submitted -> verifying -> needs attention | awaiting launch -> live <-> paused -> stopped
    live | paused -> needs attention;  needs attention -> verifying (Check again)

Only ``sequence.trading.services`` moves a bot along it.
"""

from __future__ import annotations

from django.db import models

_SHARED = [
    ("SUBMITTED", "submitted", "Submitted"),
    ("VERIFYING", "verifying", "Verifying"),
    ("NEEDS_ATTENTION", "needs_attention", "Needs attention"),
]
_BOT_ONLY = [
    ("AWAITING_LAUNCH", "awaiting_launch", "Awaiting launch"),
    ("LIVE", "live", "Live"),
    ("PAUSED", "paused", "Paused"),
    ("STOPPED", "stopped", "Stopped"),
]
_SUBMISSION_ONLY = [
    ("VERIFIED", "verified", "Verified"),
    ("CONTACT_SUPPORT", "contact_support", "Waiting for support"),
    ("SUPERSEDED", "superseded", "Replaced by a newer submission"),
    # an Invite Only strategy asked for without an invite: kept, not verified, until an operator decides
    ("ELIGIBILITY", "eligibility", "Waiting for an eligibility check"),
    ("NOT_ELIGIBLE", "not_eligible", "Not eligible (Invite Only)"),
]

BotStatus = models.TextChoices("BotStatus", [(n, (v, label)) for n, v, label in _SHARED + _BOT_ONLY])
SubmissionStatus = models.TextChoices(
    "SubmissionStatus", [(n, (v, label)) for n, v, label in _SHARED + _SUBMISSION_ONLY])

S = BotStatus
TRANSITIONS: dict[str, frozenset[str]] = {
    S.SUBMITTED: frozenset({S.VERIFYING, S.NEEDS_ATTENTION, S.AWAITING_LAUNCH, S.STOPPED}),
    S.VERIFYING: frozenset({S.NEEDS_ATTENTION, S.AWAITING_LAUNCH, S.STOPPED}),
    S.NEEDS_ATTENTION: frozenset({S.VERIFYING, S.AWAITING_LAUNCH, S.LIVE, S.PAUSED, S.STOPPED}),
    S.AWAITING_LAUNCH: frozenset({S.LIVE, S.NEEDS_ATTENTION, S.STOPPED}),
    S.LIVE: frozenset({S.PAUSED, S.NEEDS_ATTENTION, S.STOPPED}),
    S.PAUSED: frozenset({S.LIVE, S.NEEDS_ATTENTION, S.STOPPED}),
    S.STOPPED: frozenset(),
}
# States in which the engine steps the bot (a paused bot still manages its take-profit).
ENGINE_STATES = frozenset({S.LIVE, S.PAUSED})
# ... and in which its step chain goes on (one needing attention is still watched, and
# recovers by itself once funds are added)
STEPPING = (S.LIVE, S.PAUSED, S.NEEDS_ATTENTION)


class PauseReason(models.TextChoices):
    OPERATOR = "operator", "Paused by the trading team"
    WITHDRAWAL = "withdrawal", "Withdrawal in progress"
    COMPLIANCE = "compliance", "Compliance rule"
    KEY_EXPIRY = "key_expiry", "API key expiring"


class Side(models.TextChoices):
    LONG = "long", "Long"
    SHORT = "short", "Short"


class OrderKind(models.TextChoices):
    ENTRY = "entry", "Entry"
    DCA = "dca", "DCA"
    TAKE_PROFIT = "take_profit", "Take-profit"


class OrderState(models.TextChoices):
    """Our record of one order. PENDING is written before the request is sent."""

    PENDING = "pending", "Sending"
    OPEN = "open", "Resting"
    FILLED = "filled", "Filled"
    CANCELED = "canceled", "Cancelled"
    REJECTED = "rejected", "Rejected"


TERMINAL_ORDER_STATES = frozenset({OrderState.FILLED, OrderState.CANCELED, OrderState.REJECTED})

"""What other apps run at the end of a bot's step: the funds rules' monitors.

A monitor runs at the end of every step that saved an engine event: foreign activity (a fill
or an order that is not the bot's, a position closed by someone else), a fund move in the
ledger, adopted exchange state. A step that saw only the bot's own doing runs none: it stays
one round trip (the engine's benchmark). What a monitor needs of other steps, such as the
balance before a withdrawal, is in the summary (``previous_balance``) or in the engine's rows.

Trading sits below the apps that watch it, so it imports none of them: an app registers its
monitor from its ``AppConfig.ready()``. A monitor runs inside the transaction that ends the
step (the step's writes and the next step's job), so what it records or defers (an alert, an
email, a pause) commits with the step or not at all. It must make no exchange call: it gets
what the step already read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from sequence.engine.model import EngineEvent, FillRecord

__all__ = ["StepSummary", "has_monitors", "register_step_monitor", "run_step_monitors"]


@dataclass(frozen=True, slots=True)
class StepSummary:
    bot_id: str
    status: str  # after the step
    pause_reasons: tuple[str, ...]
    balance: Decimal | None  # the base coin's wallet balance the step read (None: not read)
    base_currency: str
    market_ms: int
    events: tuple[EngineEvent, ...]  # saved by this step: foreign_activity, deposit (any fund move), ...
    fills: tuple[FillRecord, ...]  # new this step, ours and foreign
    previous_balance: Decimal | None = None  # the balance the previous step read (None: none yet)


StepMonitor = Callable[[StepSummary], None]
_MONITORS: list[StepMonitor] = []


def register_step_monitor(monitor: StepMonitor) -> None:
    if monitor not in _MONITORS:
        _MONITORS.append(monitor)


def has_monitors() -> bool:
    return bool(_MONITORS)


def run_step_monitors(summary: StepSummary) -> None:
    for monitor in list(_MONITORS):
        monitor(summary)

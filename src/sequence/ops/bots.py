"""The console's bot pages, at the URLs of the engine issue's minimal ones.

``/ops/bots/`` lists every bot; ``/ops/bots/<id>/`` shows one: state history (its audit
events), position and resting orders as the engine keeps them, the latest fills, key expiry,
whether the client set an anti-phishing code (never the code), and the buttons its state
allows. ``/ops/bots/<id>/<action>/`` runs one action; stop, asking for new keys and moving to
another strategy version need a second factor from the last 15 minutes. ``/ops/paper/``
starts a paper bot of any catalogue strategy on the built-in simulated exchange.
"""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from sequence.catalog.selectors import offerings_available
from sequence.compliance.services import operator_action_notify
from sequence.ops import actions as ops_actions
from sequence.ops import selectors
from sequence.ops.access import back_to, fresh_factor_or_reauth, staff_required
from sequence.trading import selectors as trading_selectors
from sequence.trading import services
from sequence.trading.statuses import BotStatus, PauseReason

ACTIONS = ("launch", "pause", "resume", "stop", "keys", "move")
DESTRUCTIVE = frozenset({"stop", "keys", "move"})


@staff_required
def bot_list(request):
    status = request.GET.get("status", "")
    if status not in BotStatus.values:
        status = ""
    return render(request, "ops/bots.html", {"bots": selectors.bots(status=status), "status": status,
                                             "statuses": BotStatus.choices, "offerings": offerings_available()})


@staff_required
def bot_detail(request, pk):
    page = selectors.bot_page(pk)
    if page is None:
        raise Http404
    return render(request, "ops/bot.html", {"page": page, "bot": page.bot, "view": page.live,
                                            "actions": page.actions})


def _note(request) -> str:
    """The operator's optional words to the client, in the pause or stop email."""
    return request.POST.get("note", "").strip()[:ops_actions.MAX_TEXT]


def _run(request, bot, action: str) -> None:
    actor = request.user
    if action == "launch":
        services.bot_launch_request(bot_id=bot.pk, actor=actor, request=request)
        messages.success(request, "Launch requested: the exchange account is being set up.")
    elif action == "pause":
        with transaction.atomic():  # the pause and the client's email commit together
            services.bot_pause(bot_id=bot.pk, reason=PauseReason.OPERATOR, actor=actor, request=request)
            operator_action_notify(bot_id=bot.pk, action="paused", note=_note(request),
                                   version=timezone.now().isoformat())
        messages.success(request, "Paused: entries and DCA orders are cancelled, the take-profit stays.")
    elif action == "resume":
        services.bot_resume(bot_id=bot.pk, reason=PauseReason.OPERATOR, actor=actor, request=request)
        messages.success(request, "Resumed.")
    elif action == "stop":
        with transaction.atomic():
            services.bot_stop(bot_id=bot.pk, actor=actor, request=request)
            operator_action_notify(bot_id=bot.pk, action="stopped", note=_note(request))
        messages.success(request, "Stopped: every order is being cancelled; you will get the position by email.")
    elif action == "keys":
        ops_actions.keys_request(bot=bot, operator=actor, text=request.POST.get("message", ""), request=request)
        messages.success(request, "The client was asked for new keys.")
    else:
        version = next((v for v in selectors.bot_page(bot.pk).versions
                        if str(v.pk) == request.POST.get("version", "")), None)
        if version is None:
            raise ops_actions.ActionError("Choose a version of this bot's strategy.")
        services.bot_strategy_version_move(bot_id=bot.pk, strategy_version=version, actor=actor, request=request)
        messages.success(request, f"Moved to v{version.version}: each side trades it from its next cycle.")


@staff_required
@require_POST
def bot_action(request, pk, action):
    if action not in ACTIONS:
        raise Http404
    bot = trading_selectors.bot_for_operator(pk)
    if bot is None:
        raise Http404
    back = reverse("ops:bot", kwargs={"pk": bot.pk})
    if action in DESTRUCTIVE and (reauth := fresh_factor_or_reauth(request, back)) is not None:
        return reauth
    try:
        _run(request, bot, action)
    except (services.TransitionError, ops_actions.ActionError) as exc:
        messages.error(request, str(exc))
    return back_to(request, back)


@staff_required
@require_POST
def paper_start(request):
    from sequence.trading.paper import PaperError, paper_bot_create

    try:
        bot = paper_bot_create(operator=request.user, offering_id=request.POST.get("offering", ""),
                               balance=request.POST.get("balance", ""), request=request)
    except PaperError as exc:
        messages.error(request, str(exc))
        return redirect("ops:bots")
    messages.success(request, "Paper bot created on the simulated exchange. Launch it when ready.")
    return redirect("ops:bot", pk=bot.pk)

"""The operator's bot pages (minimal; the console issue replaces them at the same URLs).

``/ops/bots/`` lists every bot; ``/ops/bots/<id>/`` shows one with its position, orders and
fills and the buttons its state allows (Launch, Pause, Resume, Stop); ``/ops/paper/`` starts
a paper bot of any catalogue strategy on the built-in simulated exchange.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from sequence.accounts.decorators import operator_required
from sequence.catalog.selectors import offerings_available
from sequence.trading import selectors, services
from sequence.trading.statuses import PauseReason

ACTIONS = ("launch", "pause", "resume", "stop")


@operator_required
def bot_list(request):
    return render(request, "ops/bots.html", {"bots": selectors.bots_for_operator(),
                                             "offerings": offerings_available()})


@operator_required
def bot_detail(request, pk):
    bot = selectors.bot_for_operator(pk)
    if bot is None:
        raise Http404
    return render(request, "ops/bot.html", {"bot": bot, "view": selectors.bot_live(bot, fills=25, events=25),
                                            "actions": selectors.actions_for(bot)})


@operator_required
@require_POST
def bot_action(request, pk, action):
    if action not in ACTIONS:
        raise Http404
    bot = selectors.bot_for_operator(pk)
    if bot is None:
        raise Http404
    try:
        if action == "launch":
            services.bot_launch_request(bot_id=bot.pk, actor=request.user, request=request)
            messages.success(request, "Launch requested: the exchange account is being set up.")
        elif action == "pause":
            services.bot_pause(bot_id=bot.pk, reason=PauseReason.OPERATOR, actor=request.user, request=request)
            messages.success(request, "Paused: entries and DCA orders are cancelled, the take-profit stays.")
        elif action == "resume":
            services.bot_resume(bot_id=bot.pk, reason=PauseReason.OPERATOR, actor=request.user, request=request)
            messages.success(request, "Resumed.")
        else:
            services.bot_stop(bot_id=bot.pk, actor=request.user, request=request)
            messages.success(request, "Stopped: every order is being cancelled; you will get the position by email.")
    except services.TransitionError as exc:
        messages.error(request, str(exc))
    return redirect("ops:bot", pk=bot.pk)


@operator_required
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

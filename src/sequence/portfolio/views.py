"""The client's results pages: a bot's performance, its charts' data, its CSV downloads.

Only the bot's owner sees them (anyone else gets a 404, as for the live panel).
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render

from sequence.portfolio.exports import chart_data, cycles_csv, fills_csv
from sequence.portfolio.selectors import performance
from sequence.trading.selectors import bot_for_user


def _bot(request, pk):
    bot = bot_for_user(user=request.user, bot_id=pk)
    if bot is None:
        raise Http404
    return bot


@login_required
def results(request, pk):
    perf = performance(_bot(request, pk))
    return render(request, "portfolio/results.html", {"perf": perf, "data": chart_data(perf)})


@login_required
def equity_json(request, pk):
    return JsonResponse(chart_data(performance(_bot(request, pk))))


def _csv(text: str, name: str) -> HttpResponse:
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
def cycles_download(request, pk):
    bot = _bot(request, pk)
    return _csv(cycles_csv(performance(bot)), f"cycles-{bot.pk}.csv")


@login_required
def fills_download(request, pk):
    bot = _bot(request, pk)
    return _csv(fills_csv(performance(bot)), f"fills-{bot.pk}.csv")

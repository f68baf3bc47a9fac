from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render


def home(request):
    if request.user.is_authenticated:
        from sequence.accounts.decorators import landing_url

        return redirect(landing_url(request.user))
    return render(request, "web/home.html")


@login_required
def dashboard(request):
    from django.conf import settings

    from sequence.onboarding.selectors import bots_for_dashboard

    demo_keys = []
    if settings.DEMO and not request.user.is_operator:
        from sequence.ops.demo_exchange import load_demo_keys

        demo_keys = load_demo_keys()
    from sequence.trading.selectors import bots_live

    rows = bots_for_dashboard(request.user)
    live = bots_live([row.bot for row in rows if row.bot.launched_at], fills=5, events=0)
    return render(request, "web/dashboard.html", {"user": request.user, "rows": rows, "live": live,
                                                  "demo_keys": demo_keys})


@login_required
def bot_live(request, pk):
    """The live panel of one of the client's bots (htmx refreshes it without a full reload)."""
    from django.http import Http404
    from django.urls import reverse

    from sequence.trading.selectors import bot_for_user
    from sequence.trading.selectors import bot_live as live_view

    bot = bot_for_user(user=request.user, bot_id=pk)
    if bot is None:
        raise Http404
    return render(request, "trading/live.html", {"view": live_view(bot, fills=5, events=0),
                                                 "refresh_url": reverse("web:bot_live", args=[bot.pk])})


def legal(request, doc: str):
    from django.conf import settings

    version = settings.TERMS_VERSION if doc == "terms" else settings.RISK_DISCLOSURE_VERSION
    return render(request, f"web/legal_{doc}.html", {"version": version})

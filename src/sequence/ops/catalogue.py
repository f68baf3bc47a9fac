"""The catalogue (H2): create and edit strategies; each parameter change is a new frozen version.

A strategy is a named parameter set validated by ``sequence.strategy.params``, with its
markets (offerings), minimum balance, base currency and invite flag. Saving goes through
``sequence.catalog.services.strategy_upsert``, which makes a new ``StrategyVersion`` when the
parameters change; running bots keep theirs until an operator moves them (bot page). Saving
is a catalogue change: it needs a second factor from the last 15 minutes. So does the strategy's
withdrawal threshold (the funds rules' setting, kept by ``sequence.compliance``).
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.views.decorators.http import require_POST

from sequence.catalog import selectors as catalog
from sequence.catalog.services import (
    offering_ensure,
    strategy_upsert,
    strategy_version_current,
    validate_strategy_params,
)
from sequence.compliance import services as compliance
from sequence.ops.access import fresh_factor_or_reauth, staff_required
from sequence.ops.backtests import REPORT_CSP, backtest_of, backtest_request

# Venues where a position is one-way: a strategy trading both sides at once cannot run there.
ONE_WAY = {("kraken", "derivatives", None): "Kraken", ("bybit", "derivatives", "inverse"): "Bybit inverse"}


def one_way_venue(exchange: str, market: str, contract: str) -> str | None:
    return ONE_WAY.get((exchange, market, None)) or ONE_WAY.get((exchange, market, contract))


def parse_markets(text: str) -> list[tuple[str, str, str]]:
    """One market per line: ``exchange market symbol`` (e.g. ``bybit derivatives BTC/USDT:USDT``)."""
    exchanges = catalog.exchange_slugs()
    out = []
    for n, line in enumerate(text.splitlines(), start=1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 3:
            raise ValidationError(f"Markets, line {n}: write “exchange market symbol”.")
        exchange, market, symbol = parts
        if exchange not in exchanges:
            raise ValidationError(f"Markets, line {n}: unknown exchange “{exchange}”.")
        if market not in catalog.MARKETS:
            raise ValidationError(f"Markets, line {n}: market must be one of {', '.join(catalog.MARKETS)}.")
        out.append((exchange, market, symbol))
    return out


def check_strategy(*, params: dict, markets: list[tuple[str, str, str]]) -> None:
    validate_strategy_params(params)
    sides, contract = params.get("sides", "both"), params.get("contract", "linear")
    for exchange, market, _ in markets:
        if market != params.get("market", "derivatives"):
            raise ValidationError(f"The parameters say market “{params.get('market', 'derivatives')}”, "
                                  f"but {exchange} {market} is listed.")
        venue = one_way_venue(exchange, market, contract)
        if sides == "both" and venue:
            raise ValidationError(f"{venue} positions are one-way: a strategy trading both sides cannot run "
                                  "there. Choose one side or another venue.")


@transaction.atomic
def strategy_save(*, slug: str, data: dict, actor, request=None):
    check_strategy(params=data["params"], markets=data["markets"])
    strategy = strategy_upsert(slug=slug, name=data["name"], base_currency=data["base_currency"],
                               min_balance=data["min_balance"], params=data["params"],
                               invite_only=data["invite_only"], description=data["description"], actor=actor)
    for exchange, market, symbol in data["markets"]:
        offering_ensure(strategy=strategy, exchange_slug=exchange, market=market, symbol=symbol)
    backtest_request(strategy_version_current(strategy=strategy))  # built by a job, kept per version
    return strategy


def _form_data(post) -> dict:
    name = post.get("name", "").strip()[:80]
    if not name:
        raise ValidationError("Give the strategy a name.")
    try:
        params = json.loads(post.get("params", ""))
    except ValueError as exc:
        raise ValidationError(f"Parameters are not valid JSON: {exc}") from None
    if not isinstance(params, dict):
        raise ValidationError("Parameters must be a JSON object, e.g. {\"sides\": \"long\"}.")
    try:
        min_balance = Decimal(post.get("min_balance", "").strip())
    except InvalidOperation:
        raise ValidationError("The minimum balance must be a number.") from None
    if not min_balance.is_finite() or min_balance <= 0:
        raise ValidationError("The minimum balance must be above zero.")
    base = post.get("base_currency", "")
    if base not in catalog.BASE_CURRENCIES:
        raise ValidationError(f"The base currency must be one of {', '.join(catalog.BASE_CURRENCIES)}.")
    return {"name": name, "description": post.get("description", "")[:2000], "params": params,
            "min_balance": min_balance, "base_currency": base, "invite_only": post.get("invite_only") == "on",
            "markets": parse_markets(post.get("markets", ""))}


@staff_required
def strategy_list(request):
    strategies = catalog.strategies_for_console()
    return render(request, "ops/strategies.html", {"strategies": strategies})


@staff_required
def strategy_edit(request, slug=None):
    strategy = catalog.strategy_by_slug(slug) if slug else None
    if slug and strategy is None:
        raise Http404
    error, values = "", {}
    if request.method == "POST":
        back = request.path
        if (reauth := fresh_factor_or_reauth(request, back)) is not None:
            return reauth
        values = request.POST
        try:
            data = _form_data(request.POST)
            new_slug = slug or slugify(request.POST.get("slug", "") or data["name"])[:60]
            if not slug and (not new_slug or catalog.strategy_slug_taken(new_slug)):
                raise ValidationError("That short name is taken or empty: choose another.")
            saved = strategy_save(slug=new_slug, data=data, actor=request.user, request=request)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(request, f"Saved: {saved.name} is at v{saved.version}.")
            return redirect("ops:strategy", slug=saved.slug)
    elif strategy is not None:
        values = _saved_values(strategy)
    return _page(request, strategy, values=values, error=error)


def _saved_values(strategy) -> dict:
    return {"name": strategy.name, "description": strategy.description,
            "params": json.dumps(strategy.params, indent=2, sort_keys=True),
            "min_balance": strategy.min_balance.normalize(), "base_currency": strategy.base_currency,
            "invite_only": "on" if strategy.invite_only else "",
            "markets": "\n".join(f"{o.exchange_id} {o.market} {o.symbol}"
                                 for o in strategy.offerings.filter(active=True))}


def _page(request, strategy, *, values: dict, error: str = "", rules_value: str | None = None,
          rules_error: str = ""):
    versions = list(strategy.versions.order_by("-version")) if strategy else []
    current = next((v for v in versions if strategy and v.version == strategy.version), None)
    withdrawal_pct = compliance.withdrawal_percent(strategy.pk) if strategy else None
    return render(request, "ops/strategy.html", {
        "strategy": strategy, "values": values, "error": error, "versions": versions,
        "current": current, "backtest": backtest_of(current),
        "currencies": catalog.BASE_CURRENCIES,
        "withdrawal_pct": withdrawal_pct, "rules_error": rules_error,
        "rules_value": rules_value if rules_value is not None else withdrawal_pct,
        "action": reverse("ops:strategy", kwargs={"slug": strategy.slug}) if strategy
        else reverse("ops:strategy_new")})


@staff_required
@require_POST
def strategy_rules(request, slug):
    """The funds rules' setting of the strategy (F1): the withdrawal share, in percent, above
    which a notice pauses the bot and an unannounced withdrawal is an alert. A catalogue change:
    it needs a second factor from the last 15 minutes."""
    strategy = catalog.strategy_by_slug(slug)
    if strategy is None:
        raise Http404
    back = reverse("ops:strategy", kwargs={"slug": slug})
    if (reauth := fresh_factor_or_reauth(request, back)) is not None:
        return reauth
    text = request.POST.get("withdrawal_pct", "")[:40]
    try:
        before = compliance.withdrawal_percent(strategy.pk)
        after = compliance.withdrawal_limit_set(strategy=strategy, percent=compliance.withdrawal_percent_parse(text),
                                                actor=request.user, request=request)
    except compliance.RulesError as exc:
        return _page(request, strategy, values=_saved_values(strategy), rules_value=text, rules_error=str(exc))
    messages.success(request, f"Withdrawal threshold of {strategy.name}: {after:f}% (was {before:f}%).")
    return redirect(back)


@staff_required
@require_POST
def strategy_backtest(request, slug):
    """Queue the current version's backtest (a strategy saved before the console has none yet)."""
    strategy = catalog.strategy_by_slug(slug)
    if strategy is None:
        raise Http404
    queued = backtest_request(strategy_version_current(strategy=strategy))
    messages.info(request, "The backtest is being built: reload in a moment." if queued
                  else "The backtest is built or already on its way.")
    return redirect("ops:strategy", slug=slug)


@staff_required
def backtest_report(request, slug, version):
    """The backtester's report as it wrote it, sandboxed (its inline style and script run in a
    unique origin with no network: it cannot reach the console or its cookies)."""
    from sequence.ops.models import BacktestReport

    report = BacktestReport.objects.filter(version__strategy__slug=slug, version__version=version).first()
    if report is None or not report.html:
        raise Http404
    response = HttpResponse(report.html, content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = REPORT_CSP
    return response

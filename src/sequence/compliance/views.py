"""The client's notice pages (a form, then a confirmation showing the share) and the
operators' page of every notice and alert (staff only: a 404 for anyone else)."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from sequence.accounts.decorators import operator_required
from sequence.compliance import selectors, services
from sequence.compliance.forms import AlertNoteForm, NoticeForm
from sequence.trading.services import TransitionError
from sequence.trading.statuses import ENGINE_STATES


def trading_bots(user, bots: list | None = None) -> list:
    """The client's bots that are trading (``bots``: already read, e.g. by the dashboard)."""
    if bots is None:
        from sequence.onboarding.selectors import bots_for_dashboard

        bots = [row.bot for row in bots_for_dashboard(user)]
    return [bot for bot in bots if bot.status in ENGINE_STATES and bot.launched_at]


def dashboard_context(user, *, bots: list | None = None) -> dict:
    """What the dashboard's withdrawal-notice section shows: one query (the notices) given the bots."""
    bots = trading_bots(user, bots)
    return {"form": NoticeForm(bots=bots) if bots else None, "notices": selectors.notices_for_user(user),
            "paused": [b for b in bots if "withdrawal" in b.pause_reasons]}


@login_required
def notice_new(request):
    """GET: the form. POST: check it and show the share (``confirm`` absent), or record it."""
    bots = trading_bots(request.user)
    if request.method != "POST":
        return render(request, "compliance/notice_form.html", {"form": NoticeForm(bots=bots)})
    form = NoticeForm(request.POST, bots=bots)
    preview = None
    if form.is_valid():
        bot = form.chosen_bot()
        try:
            preview = services.notice_preview(bot=bot, amount=form.cleaned_data["amount"],
                                              planned_for=form.cleaned_data["planned_for"])
        except services.NoticeError as exc:
            form.add_error("bot", str(exc))
        else:
            if preview.amount > preview.balance:
                form.add_error("amount", f"That is more than the balance we last read "
                                         f"({preview.balance.normalize():f} {preview.currency}).")
                preview = None
    if preview is None:
        return render(request, "compliance/notice_form.html", {"form": form})
    if request.POST.get("confirm") != "yes":
        return render(request, "compliance/notice_confirm.html", {"form": form, "preview": preview})
    try:
        notice = services.notice_create(user=request.user, bot_id=preview.bot.pk, amount=preview.amount,
                                        planned_for=preview.planned_for, request=request)
    except (services.NoticeError, TransitionError) as exc:
        form.add_error(None, str(exc))
        return render(request, "compliance/notice_form.html", {"form": form})
    if notice.large:
        messages.success(request, "Notice recorded. The strategy is pausing for your withdrawal: wait for "
                                  "the “safe to withdraw” email before you withdraw.")
    else:
        messages.success(request, "Notice recorded. It is within the limit: the strategy keeps trading.")
    return redirect("web:dashboard")


@login_required
@require_POST
def notice_withdrawn(request, pk):
    """The client confirms the withdrawal is done: the strategy resumes."""
    try:
        services.notice_confirm(user=request.user, notice_id=pk, request=request)
    except (services.NoticeError, TransitionError) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Thank you: your strategy trades again.")
    return redirect("web:dashboard")


def staff_only(view):
    """Operators only; anyone else finds nothing here (404), not a door (403)."""

    guarded = operator_required(view)

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_operator:
            raise Http404
        return guarded(request, *args, **kwargs)

    return wrapper


@staff_only
def ops_overview(request):
    status = request.GET.get("status", "")
    if status not in ("", "open", "acknowledged", "resolved"):
        status = ""
    return render(request, "compliance/ops.html", {
        "alerts": selectors.alerts_for_operator(status=status or None), "status": status,
        "notices": selectors.notices_for_operator(), "form": AlertNoteForm()})


@staff_only
@require_POST
def ops_alert(request, pk):
    form = AlertNoteForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for e in errors:
                messages.error(request, e)
        return redirect("compliance:ops")
    try:
        alert = services.alert_handle(alert_id=pk, actor=request.user, action=form.cleaned_data["action"],
                                      note=form.cleaned_data["note"], request=request)
    except (services.NoticeError, TransitionError) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Alert {alert.pk}: {alert.get_status_display().lower()}.")
    return redirect("compliance:ops")

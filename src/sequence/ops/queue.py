"""The submission queue (H1): every submission with its checks and flags, filters, actions.

Bot actions post to the bot's action URL (with ``next`` back here); check again and
resolving a flag post here. Asking for new keys and messaging the client are on the bot's
and the client's pages (they need the operator's text).
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from sequence.onboarding.models import Submission
from sequence.ops import actions, selectors
from sequence.ops.access import back_to, staff_required


def _choice(value: str, allowed) -> str:
    return value if value in allowed else ""


@staff_required
def queue(request):
    filters = selectors.queue_filters()
    chosen = {
        "status": _choice(request.GET.get("status", ""), Submission.Status.values),
        "exchange": _choice(request.GET.get("exchange", ""), {s for s, _ in filters["exchanges"]}),
        "flag": _choice(request.GET.get("flag", ""), {f for f, _ in filters["flags"]}),
    }
    rows = selectors.queue(**chosen)
    return render(request, "ops/queue.html", {"rows": rows, "filters": filters, "chosen": chosen,
                                              "here": request.get_full_path()})


@staff_required
@require_POST
def submission_action(request, pk, action):
    submission = selectors.submission(pk)
    if submission is None or action not in ("check", "resolve"):
        raise Http404
    try:
        if action == "check":
            actions.submission_check_again(submission=submission, operator=request.user, request=request)
            messages.success(request, "Verification started again.")
        else:
            actions.flag_resolve(submission=submission, flag=request.POST.get("flag", ""), operator=request.user,
                                 note=request.POST.get("note", ""), request=request)
            messages.success(request, "Flag resolved.")
    except actions.ActionError as exc:
        messages.error(request, str(exc))
    return back_to(request, reverse("ops:queue"))

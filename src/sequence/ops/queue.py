"""The submission queue (H1): every submission with its checks and flags, filters, actions.

Bot actions post to the bot's action URL (with ``next`` back here); check again,
resolving a flag and deciding an eligibility request (grant the invite, or refuse) post here.
Asking for new keys and messaging the client are on the bot's and the client's pages (they
need the operator's text).
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from sequence.ops import actions, selectors
from sequence.ops.access import back_to, fresh_factor_or_reauth, staff_required
from sequence.trading.statuses import SubmissionStatus

# rows per page of the queue: each row carries its action forms, and all of them at once made the
# page the console's slowest under load
PAGE_ROWS = 50


def _choice(value: str, allowed) -> str:
    return value if value in allowed else ""


@staff_required
def queue(request):
    filters = selectors.queue_filters()
    chosen = {
        "status": _choice(request.GET.get("status", ""), SubmissionStatus.values),
        "exchange": _choice(request.GET.get("exchange", ""), {s for s, _ in filters["exchanges"]}),
        "flag": _choice(request.GET.get("flag", ""), {f for f, _ in filters["flags"]}),
    }
    page = _page(request.GET.get("page", ""))
    # one row more than a page is read: it says whether an older page exists
    rows = selectors.queue(**chosen, limit=PAGE_ROWS + 1, offset=(page - 1) * PAGE_ROWS)
    query = urlencode({k: v for k, v in chosen.items() if v})
    return render(request, "ops/queue.html", {
        "rows": rows[:PAGE_ROWS], "filters": filters, "chosen": chosen, "here": request.get_full_path(),
        "page": page, "older": len(rows) > PAGE_ROWS, "query": query})


def _page(raw: str) -> int:
    """The page asked for; anything but a whole number from 1 up is the first page."""
    return int(raw) if raw.isdigit() and 0 < int(raw) < 100_000 else 1


@staff_required
@require_POST
def submission_action(request, pk, action):
    submission = selectors.submission(pk)
    if submission is None or action not in ("check", "resolve", "grant", "refuse"):
        raise Http404
    back = reverse("ops:queue")
    # refusing destroys the client's key and stops the new bot: a second factor from the last 15 minutes
    if action == "refuse" and (reauth := fresh_factor_or_reauth(request, back)) is not None:
        return reauth
    post, operator = request.POST, request.user
    try:
        if action == "check":
            actions.submission_check_again(submission=submission, operator=operator, request=request)
            messages.success(request, "Verification started again.")
        elif action == "resolve":
            actions.flag_resolve(submission=submission, flag=post.get("flag", ""), operator=operator,
                                 note=post.get("note", ""), request=request)
            messages.success(request, "Flag resolved.")
        elif action == "grant":
            actions.eligibility_grant(submission=submission, operator=operator, reason=post.get("note", ""),
                                      request=request)
            messages.success(request, f"Invite to {submission.offering.strategy.name} granted: "
                                      "the key is being checked.")
        else:
            actions.eligibility_refuse(submission=submission, operator=operator, text=post.get("note", ""),
                                       request=request)
            messages.success(request, "Eligibility refused: the client was told, the key destroyed.")
    except actions.ActionError as exc:
        messages.error(request, str(exc))
    return back_to(request, back)

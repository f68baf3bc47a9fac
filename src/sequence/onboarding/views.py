"""The API submission page (guide steps 6-12). Thin: the work is in services."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from sequence.accounts.decorators import recent_second_factor_required, second_factor_fresh
from sequence.catalog.selectors import exchanges, offerings_open
from sequence.onboarding import services
from sequence.onboarding.fields import FIELDS_BY_EXCHANGE, SECRET_FIELDS
from sequence.onboarding.forms import SubmissionForm
from sequence.onboarding.models import Submission
from sequence.onboarding.selectors import refreshable_bots

SECRET_POST_FIELDS = SECRET_FIELDS  # hidden from Django's error reports


def _form(request, data=None):
    offerings = offerings_open()
    kind = "refresh" if request.GET.get("type") == "refresh" else "new"
    initial = {"registered_email": request.user.email, "kind": kind, "form_token": uuid.uuid4(),
               "anti_phishing_code": request.user.anti_phishing_code}
    return SubmissionForm(data, user=request.user, offerings=offerings, bots=refreshable_bots(request.user),
                          exchanges=exchanges(), initial=initial)


@never_cache
@sensitive_post_parameters(*SECRET_POST_FIELDS)
@recent_second_factor_required
def submit(request):
    form = _form(request, request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not second_factor_fresh(request):  # pragma: no cover - the decorator sends stale sessions away
            return redirect("accounts:reauth")
        # an Invite Only strategy without an invite is stored as an eligibility request
        submission, _created = services.submission_create(user=request.user, data=form.cleaned_data,
                                                          request=request)
        return redirect("onboarding:submitted", pk=submission.pk)
    offerings = form.fields["offering"].queryset
    return render(request, "onboarding/submit.html", {
        "form": form,
        "offering_meta": [{"id": o.pk, "exchange": o.exchange_id, "market": o.market} for o in offerings],
        "fields_by_exchange": {k: list(v) for k, v in FIELDS_BY_EXCHANGE.items()},
        # a refresh asks for the fields of the chosen bot's exchange (step 8)
        "bot_exchanges": {pk: bot.offering.exchange_id for pk, bot in form.bots.items()},
        "exchanges": exchanges(),
        "has_bots": len(form.bots) > 0,
    })


@login_required
def submitted(request, pk):
    submission = get_object_or_404(Submission.objects.select_related("offering__exchange", "offering__strategy"),
                                   pk=pk, user=request.user)
    stuck = submission.status == Submission.Status.VERIFYING and services.verification_stuck(submission)
    return render(request, "onboarding/submitted.html", {"submission": submission, "stuck": stuck})


@login_required
@require_POST
def recheck(request, pk):
    submission = get_object_or_404(Submission, pk=pk, user=request.user)
    if services.submission_recheck(submission=submission, user=request.user, request=request):
        messages.success(request, "We are checking your key again. This page updates in a moment.")
    else:
        messages.info(request, "This submission is not waiting for a fix.")
    return redirect("onboarding:submitted", pk=submission.pk)

"""Clients (H2, C4): a searchable list; one client's bots, submissions, emails and audit trail;
messages from the trading team, dead-letter retries, invite grants and revocations."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from sequence.ops import actions, selectors
from sequence.ops.access import staff_required


@staff_required
def client_list(request):
    q = request.GET.get("q", "").strip()[:100]
    return render(request, "ops/clients.html", {"clients": selectors.clients(q=q), "q": q})


@staff_required
def client_detail(request, pk):
    page = selectors.client_page(pk)
    if page is None:
        raise Http404
    return render(request, "ops/client.html", {"page": page, "client": page.client})


@staff_required
@require_POST
def client_action(request, pk, action):
    page = selectors.client_page(pk)
    if page is None or action not in ("message", "retry", "grant", "revoke"):
        raise Http404
    client, post = page.client, request.POST
    try:
        if action == "message":
            actions.client_message(user=client, operator=request.user, subject=post.get("subject", ""),
                                   text=post.get("message", ""), request=request)
            messages.success(request, "Message queued.")
        elif action == "retry":
            email = next((e for e in page.emails if str(e.pk) == post.get("email", "")), None)
            if email is None:
                raise actions.ActionError("No such email for this client.")
            actions.dead_email_retry(email_id=email.pk, operator=request.user, request=request)
            messages.success(request, "The email is queued again.")
        else:
            strategy = next((s for s in page.invite_strategies if str(s.pk) == post.get("strategy", "")), None)
            if strategy is None:
                raise actions.ActionError("Choose an invite-only strategy.")
            reason = post.get("reason", "")
            if action == "grant":
                released = actions.invite_grant(user=client, strategy=strategy, operator=request.user,
                                                reason=reason, request=request)
                waiting = (f" {released} eligibility request{'s' if released != 1 else ''} resolved: "
                           "the key is being checked." if released else "")
                messages.success(request, f"Invite to {strategy.name} granted.{waiting}")
            else:
                actions.invite_revoke(user=client, strategy=strategy, operator=request.user, reason=reason,
                                      request=request)
                messages.success(request, f"Invite to {strategy.name} revoked.")
    except actions.ActionError as exc:
        messages.error(request, str(exc))
    return redirect("ops:client", pk=client.pk)

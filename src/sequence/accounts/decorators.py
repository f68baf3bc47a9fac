"""Access rules for views."""

from __future__ import annotations

import time
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseForbidden
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

SECOND_FACTOR_AT = "second_factor_at"


def landing_url(user) -> str:
    """Where a signed-in person starts: an operator at the console, a client on the dashboard."""
    return reverse("ops:home") if user.is_operator else reverse("web:dashboard")


def safe_next(request, nxt: str | None) -> str | None:
    """``nxt`` when it is a page of this site (same host, no scheme change), else None: a
    ``next`` parameter never sends anyone to another site."""
    if nxt and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()},
                                               require_https=request.is_secure()):
        return nxt
    return None


def operator_required(view):
    """Operators only; outside the demo an operator must have an authenticator app."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        user = request.user
        if not user.is_operator:
            return HttpResponseForbidden("Operators only.")
        if not (user.totp_enabled or settings.DEMO):
            messages.warning(request, "Operators must use an authenticator app. Set it up to continue.")
            return redirect("accounts:totp_setup")
        return view(request, *args, **kwargs)

    return wrapper


def second_factor_fresh(request) -> bool:
    at = request.session.get(SECOND_FACTOR_AT)
    return bool(at) and time.time() - float(at) <= settings.SECOND_FACTOR_FRESH_SECONDS


def reauth_redirect(request, back: str | None = None):
    """Send the user to confirm a second factor, then to `back` (a page to GET; by default
    this one). A POST is not replayed: the user makes the change again, freshly confirmed."""
    request.session["reauth_next"] = back or request.get_full_path()
    if request.method == "POST":
        messages.info(request, "Please confirm it is you first, then make the change again.")
    return redirect("accounts:reauth")


def recent_second_factor_required(view):
    """Sensitive actions (submitting keys, changing where money goes, the second factor itself,
    the anti-phishing code) need a factor from the last 15 minutes; otherwise the user confirms
    one again and comes back."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not second_factor_fresh(request):
            return reauth_redirect(request)
        return view(request, *args, **kwargs)

    return wrapper

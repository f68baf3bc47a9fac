"""Who may open the console: operators only, and clients are not told it exists.

Every ``/ops/`` view is wrapped in :func:`staff_required` (a test walks the ops urlconf and
checks each pattern): an anonymous visitor goes to sign-in, a signed-in client gets 404 (not
403: the console's URLs are not confirmed to them), and outside the demo an operator without
an authenticator app is sent to set one up. Destructive actions (stop, asking for new keys,
catalogue changes) also need a second factor from the last 15 minutes, as key submission does:
:func:`fresh_factor_or_reauth`.
"""

from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme

from sequence.accounts.decorators import reauth_redirect, second_factor_fresh


def staff_required(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not user.is_operator:
            raise Http404
        if not (user.totp_enabled or settings.DEMO):
            messages.warning(request, "Operators must use an authenticator app. Set it up to continue.")
            return redirect("accounts:totp_setup")
        return view(request, *args, **kwargs)

    wrapper.ops_staff_required = True  # type: ignore[attr-defined]  # read by the urlconf test
    return wrapper


def fresh_factor_or_reauth(request, back: str):
    """None when the operator confirmed a second factor in the last 15 minutes; otherwise the
    redirect to confirm one, coming back to ``back`` (a page, since a POST is not replayed)."""
    if second_factor_fresh(request):
        return None
    return reauth_redirect(request, back=back)


def back_to(request, default: str):
    """Redirect to the form's ``next`` when it is a console page of this site, else to ``default``."""
    nxt = request.POST.get("next", "")
    ok = nxt.startswith("/ops/") and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()})
    return redirect(nxt if ok else default)

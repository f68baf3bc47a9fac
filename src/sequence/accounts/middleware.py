"""Session lifetime: idle 30 minutes, absolute 12 hours (ASVS 7.3); no operator session
without an authenticator app outside the demo (DESIGN.md section 7)."""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect

AUTH_AT = "auth_at"
LAST_SEEN = "last_seen"


class SessionLifetimeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = time.time()
            session = request.session
            auth_at = float(session.get(AUTH_AT, 0))
            last_seen = float(session.get(LAST_SEEN, auth_at))
            idle = now - last_seen > settings.SESSION_IDLE_SECONDS
            too_old = now - auth_at > settings.SESSION_ABSOLUTE_SECONDS
            if idle or too_old:
                logout(request)
                messages.info(request, "Your session expired. Please sign in again.")
                return redirect("accounts:signin")
            # The sign-in never opens such a session; this ends one that became so (an account
            # made operator while signed in, a session from before the rule).
            if user.is_operator and not user.totp_enabled and not settings.DEMO:
                logout(request)
                messages.warning(request, "Operators must use an authenticator app: sign in again to set one up.")
                return redirect("accounts:signin")
            session[LAST_SEEN] = now
        return self.get_response(request)

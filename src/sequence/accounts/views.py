"""Sign-in, second factor, sign-out, password reset, account settings. Thin: logic is in services."""

from __future__ import annotations

import math
import time

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, get_user_model, login, logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.tokens import default_token_generator
from django.shortcuts import redirect, render
from django.utils.encoding import force_str
from django.utils.http import url_has_allowed_host_and_scheme, urlsafe_base64_decode
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from sequence.accounts import services, throttle
from sequence.accounts.decorators import SECOND_FACTOR_AT
from sequence.accounts.forms import (
    AntiPhishingForm,
    CodeForm,
    NewPasswordForm,
    PasswordResetRequestForm,
    SigninForm,
)
from sequence.accounts.middleware import AUTH_AT, LAST_SEEN
from sequence.accounts.models import SigninChallenge, normalize_email

CHALLENGE = "signin_challenge"
CHALLENGE_USER = "signin_user"
REAUTH = "reauth"
TOTP_SHOWN = "totp_setup_shown"


def _locked_out(request, wait: float, what: str):
    closed = wait == throttle.CLOSED
    return render(request, "accounts/locked_out.html", {
        "reset_needed": closed, "wait_seconds": None if closed else math.ceil(wait), "what": what},
        status=429)


def _pending_challenge(request) -> SigninChallenge | None:
    challenge_id = request.session.get(CHALLENGE)
    if not challenge_id:
        return None
    return SigninChallenge.objects.select_related("user").filter(pk=challenge_id).first()


@never_cache
@sensitive_post_parameters("password")
def signin(request):
    if request.user.is_authenticated:
        return redirect("web:dashboard")
    form = SigninForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = normalize_email(form.cleaned_data["email"])
        # Known and unknown addresses wait alike (the count is per address, not per account);
        # the password is not even checked while the address waits.
        wait = throttle.signin_wait(email=email)
        if wait is not None:
            return _locked_out(request, wait, "passwords")
        user = authenticate(request, email=email, password=form.cleaned_data["password"])
        if getattr(request, "axes_locked_out", False):
            return render(request, "accounts/locked_out.html", status=429)
        if user is None:
            throttle.signin_failure_record(email=email, request=request)
            form.add_error(None, "That email and password do not match an account.")
        elif throttle.code_wait(user) == throttle.CLOSED:  # said only to whoever knows the password
            return _locked_out(request, throttle.CLOSED, "codes")
        else:
            try:
                challenge = services.signin_challenge_start(user=user, request=request)
            except services.ResendTooSoon as exc:  # the last code died of wrong tries a moment ago
                form.add_error(None, str(exc))
            else:
                request.session[CHALLENGE] = str(challenge.pk)
                request.session[CHALLENGE_USER] = user.pk
                request.session.pop(REAUTH, None)
                nxt = request.POST.get("next") or request.GET.get("next")
                if nxt and url_has_allowed_host_and_scheme(nxt, {request.get_host()}):
                    request.session["signin_next"] = nxt
                return redirect("accounts:signin_code")
    return render(request, "accounts/signin.html", {"form": form, "next": request.GET.get("next", "")})


def _finish_second_factor(request, user):
    """Log in (new session id) after the second factor, or refresh it for a re-check."""
    reauth = request.session.pop(REAUTH, False)
    request.session.pop(CHALLENGE, None)
    request.session.pop(CHALLENGE_USER, None)
    now = time.time()
    if not reauth:
        nxt = request.session.pop("signin_next", None)
        login(request, user, backend="sequence.accounts.backends.EmailBackend")
        services.signin_device_record(user=user, request=request)
        request.session[AUTH_AT] = now
        request.session[LAST_SEEN] = now
        request.session[SECOND_FACTOR_AT] = now
        if user.is_operator and not user.totp_enabled and not settings.DEMO:
            messages.warning(request, "Operators must use an authenticator app. Set it up now.")
            return redirect("accounts:totp_setup")
        return redirect(nxt or "web:dashboard")
    request.session[SECOND_FACTOR_AT] = now
    return redirect(request.session.pop("reauth_next", None) or "web:dashboard")


@never_cache
@sensitive_post_parameters("code")
def signin_code(request):
    challenge = _pending_challenge(request)
    if challenge is None:
        messages.info(request, "Please sign in first.")
        return redirect("accounts:signin")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.signin_challenge_verify(
                challenge_id=challenge.pk, user_id=request.session.get(CHALLENGE_USER),
                code=form.cleaned_data["code"], request=request,
            )
        except services.SigninError as exc:
            form.add_error("code", str(exc))
        else:
            return _finish_second_factor(request, user)
    return render(request, "accounts/signin_code.html", {
        "form": form, "challenge": challenge, "reauth": request.session.get(REAUTH, False),
        "resend_after": settings.SIGNIN_CODE_RESEND_SECONDS,
    })


@require_POST
def signin_code_resend(request):
    challenge = _pending_challenge(request)
    if challenge is None:
        return redirect("accounts:signin")
    try:
        new = services.signin_challenge_resend(challenge=challenge, request=request)
    except services.ResendTooSoon as exc:
        messages.warning(request, str(exc))
    else:
        request.session[CHALLENGE] = str(new.pk)
        messages.success(request, "We sent you a new code. Only the newest code works.")
    return redirect("accounts:signin_code")


@login_required
def reauth(request):
    """Confirm the second factor again before a sensitive action."""
    if request.method == "POST":
        try:
            challenge = services.signin_challenge_start(user=request.user, request=request)
        except services.ResendTooSoon as exc:
            messages.warning(request, str(exc))
            return render(request, "accounts/reauth.html")
        request.session[CHALLENGE] = str(challenge.pk)
        request.session[CHALLENGE_USER] = request.user.pk
        request.session[REAUTH] = True
        return redirect("accounts:signin_code")
    return render(request, "accounts/reauth.html")


@require_POST
def signout(request):
    logout(request)
    messages.success(request, "You are signed out.")
    return redirect("web:home")


@never_cache
def password_reset(request):
    form = PasswordResetRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.password_reset_request(email=form.cleaned_data["email"], request=request)
        return render(request, "accounts/password_reset_sent.html")
    return render(request, "accounts/password_reset.html", {"form": form})


@never_cache
@sensitive_post_parameters("new_password1", "new_password2")
def password_reset_confirm(request, uidb64: str, token: str):
    model = get_user_model()
    try:
        user = model.objects.get(pk=int(force_str(urlsafe_base64_decode(uidb64))))
    except (ValueError, TypeError, OverflowError, model.DoesNotExist):
        user = None
    if user is None or not default_token_generator.check_token(user, token):
        return render(request, "accounts/password_reset_invalid.html", status=400)
    form = NewPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user.set_password(form.cleaned_data["new_password1"])
        user.save(update_fields=["password"])
        services.password_changed(user=user, request=request)
        messages.success(request, "Your password is changed. Sign in with it now.")
        return redirect("accounts:signin")
    return render(request, "accounts/password_reset_confirm.html", {"form": form})


@login_required
def settings_page(request):
    form = AntiPhishingForm(request.POST or None, initial={"anti_phishing_code": request.user.anti_phishing_code})
    if request.method == "POST" and form.is_valid():
        services.anti_phishing_code_set(user=request.user, code=form.cleaned_data["anti_phishing_code"],
                                        request=request)
        messages.success(request, "Your anti-phishing code is saved. Every email from us shows it.")
        return redirect("web:dashboard")
    return render(request, "accounts/settings.html", {"form": form})


@login_required
@never_cache
@sensitive_post_parameters("code")
def totp_setup(request):
    """Show the QR code once (a new seed per visit), then confirm with a code from the app."""
    user = request.user
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = services.totp_setup_confirm(user=user, code=form.cleaned_data["code"], request=request)
        except services.SigninError as exc:
            form.add_error("code", str(exc))
        else:
            request.session[SECOND_FACTOR_AT] = time.time()
            return render(request, "accounts/recovery_codes.html", {"codes": codes})
    # Every showing (also after a failed confirmation) makes a fresh seed: one seed, one display.
    setup = services.totp_setup_begin(user=user)
    qr_svg = segno.make(setup.uri, error="m").svg_inline(scale=5, dark="#111", light="#fff")
    return render(request, "accounts/totp_setup.html", {
        "form": form, "qr_svg": qr_svg, "secret": setup.secret, "already": user.totp_enabled,
    })


@login_required
@require_POST
def totp_disable(request):
    if request.user.is_operator and not settings.DEMO:
        messages.error(request, "Operators must keep an authenticator app.")
        return redirect("accounts:settings")
    services.totp_disable(user=request.user, request=request)
    messages.success(request, "The authenticator app is off; we will email you a code at sign-in.")
    return redirect("accounts:settings")

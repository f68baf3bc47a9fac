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
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from sequence.accounts import services, throttle, totp
from sequence.accounts.decorators import (
    SECOND_FACTOR_AT,
    landing_url,
    reauth_redirect,
    safe_next,
    second_factor_fresh,
)
from sequence.accounts.forms import (
    AntiPhishingForm,
    CodeForm,
    NewPasswordForm,
    PasswordResetRequestForm,
    SigninForm,
)
from sequence.accounts.middleware import AUTH_AT, LAST_SEEN
from sequence.accounts.models import SigninChallenge, normalize_email
from sequence.config.access_log import SET_PASSWORD

CHALLENGE = "signin_challenge"
CHALLENGE_USER = "signin_user"
REAUTH = "reauth"
ENROLLING = "enrolling_operator"
RESET_TOKEN = "_password_reset_token"  # noqa: S105 - a session key's name, not a value
ENROLLING_AT = "enrolling_operator_at"


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
        return redirect(safe_next(request, request.GET.get("next")) or landing_url(request.user))
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
                nxt = safe_next(request, request.POST.get("next") or request.GET.get("next"))
                if nxt:
                    request.session["signin_next"] = nxt
                return redirect("accounts:signin_code")
    return render(request, "accounts/signin.html", {"form": form, "next": request.GET.get("next", "")})


def _sign_in(request, user, nxt=None):
    """The session becomes the user's (a new id), with both factors just checked."""
    login(request, user, backend="sequence.accounts.backends.EmailBackend")
    services.signin_device_record(user=user, request=request)
    now = time.time()
    request.session[AUTH_AT] = now
    request.session[LAST_SEEN] = now
    request.session[SECOND_FACTOR_AT] = now
    return redirect(safe_next(request, nxt) or landing_url(user))


def _finish_second_factor(request, user):
    """Log in (new session id) after the second factor, or refresh it for a re-check."""
    reauth = request.session.pop(REAUTH, False)
    request.session.pop(CHALLENGE, None)
    request.session.pop(CHALLENGE_USER, None)
    if not reauth:
        nxt = request.session.pop("signin_next", None)
        if user.is_operator and not user.totp_enabled and not settings.DEMO:
            # Not signed in (DESIGN.md section 7): the only page open to this session is the
            # enrolment of an authenticator app, and confirming it completes the sign-in.
            request.session.cycle_key()
            request.session[ENROLLING] = user.pk
            request.session[ENROLLING_AT] = time.time()
            messages.warning(request, "Operators must use an authenticator app. Set it up now to finish "
                                      "signing in.")
            return redirect("accounts:totp_setup")
        return _sign_in(request, user, nxt)
    request.session[SECOND_FACTOR_AT] = time.time()
    return redirect(safe_next(request, request.session.pop("reauth_next", None)) or landing_url(user))


def _enrolling_operator(request):
    """The operator who passed password and email code and must now set up an app, if fresh."""
    pk, at = request.session.get(ENROLLING), request.session.get(ENROLLING_AT)
    if not pk or not at or time.time() - float(at) > settings.SECOND_FACTOR_FRESH_SECONDS:
        return None
    return get_user_model().objects.filter(pk=pk, is_staff=True, is_active=True).first()


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


def _reset_user(uidb64: str):
    model = get_user_model()
    try:
        return model.objects.get(pk=int(force_str(urlsafe_base64_decode(uidb64))))
    except (ValueError, TypeError, OverflowError, model.DoesNotExist):
        return None


@never_cache
@sensitive_post_parameters("new_password1", "new_password2")
def password_reset_confirm(request, uidb64: str, token: str):
    """The emailed link's token goes into the session at once and the browser moves on to a URL
    without it (as Django's PasswordResetConfirmView does): it then stays out of access logs,
    history and Referer headers from here on. The first request's log line is redacted
    (config/access_log.py)."""
    user = _reset_user(uidb64)
    if token != SET_PASSWORD:
        if user is None or not default_token_generator.check_token(user, token):
            return render(request, "accounts/password_reset_invalid.html", status=400)
        request.session[RESET_TOKEN] = token
        return redirect("accounts:password_reset_confirm", uidb64=uidb64, token=SET_PASSWORD)
    token = request.session.get(RESET_TOKEN, "")
    if user is None or not default_token_generator.check_token(user, token):
        return render(request, "accounts/password_reset_invalid.html", status=400)
    form = NewPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user.set_password(form.cleaned_data["new_password1"])
        user.save(update_fields=["password"])
        services.password_changed(user=user, request=request)
        request.session.pop(RESET_TOKEN, None)
        messages.success(request, "Your password is changed. Sign in with it now.")
        return redirect("accounts:signin")
    return render(request, "accounts/password_reset_confirm.html", {"form": form})


@login_required
def settings_page(request):
    form = AntiPhishingForm(request.POST or None, initial={"anti_phishing_code": request.user.anti_phishing_code})
    if request.method == "POST" and not second_factor_fresh(request):
        return reauth_redirect(request, reverse("accounts:settings"))
    if request.method == "POST" and form.is_valid():
        services.anti_phishing_code_set(user=request.user, code=form.cleaned_data["anti_phishing_code"],
                                        request=request)
        messages.success(request, "Your anti-phishing code is saved. Every email from us shows it.")
        return redirect("web:dashboard")
    return render(request, "accounts/settings.html", {"form": form})


@never_cache
@sensitive_post_parameters("code")
def totp_setup(request):
    """Show the QR code once (a new seed per visit), then confirm with a code from the app.

    Signed-in users need a recent second factor (a new app replaces the old one); an operator
    without an app comes here from the sign-in, not yet signed in."""
    enrolling = None if request.user.is_authenticated else _enrolling_operator(request)
    if enrolling is None:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not second_factor_fresh(request):
            return reauth_redirect(request, reverse("accounts:totp_setup"))
    user = enrolling or request.user
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = totp.totp_setup_confirm(user=user, code=form.cleaned_data["code"], request=request)
        except services.SigninError as exc:
            form.add_error("code", str(exc))
        else:
            if enrolling is not None:
                request.session.pop(ENROLLING, None)
                request.session.pop(ENROLLING_AT, None)
                _sign_in(request, user)
            request.session[SECOND_FACTOR_AT] = time.time()
            return render(request, "accounts/recovery_codes.html", {"codes": codes})
    # Every showing (also after a failed confirmation) makes a fresh seed: one seed, one display.
    setup = totp.totp_setup_begin(user=user)
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
    if not second_factor_fresh(request):
        return reauth_redirect(request, reverse("accounts:settings"))
    totp.totp_disable(user=request.user, request=request)
    messages.success(request, "The authenticator app is off; we will email you a code at sign-in.")
    return redirect("accounts:settings")

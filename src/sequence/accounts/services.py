"""Writes of the accounts app: users, sign-in challenges, notices, password reset, settings.
(Authenticator apps are in totp, the guessing limits in throttle.)

Every function here is a whole business action: it validates, writes, records
an audit event and queues its emails in one transaction.
"""

from __future__ import annotations

import math
import secrets
from datetime import timedelta
from types import SimpleNamespace

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from sequence.accounts import throttle
from sequence.accounts.errors import ResendTooSoon, SigninError
from sequence.accounts.models import (
    KnownDevice,
    SigninChallenge,
    User,
    normalize_email,
)
from sequence.accounts.secrets_at_rest import code_hash, code_matches
from sequence.accounts.totp import recovery_code_use, totp_verify
from sequence.notifications.services import email_enqueue
from sequence.ops.jobs import defer
from sequence.ops.services import audit_record

# --- users -------------------------------------------------------------------------------------

def user_lock(user) -> None:
    """Lock the user's row (and nothing else) for the caller's transaction: the first lock of
    the order user -> bot -> submission (sequence.ops.jobs)."""
    User.objects.select_for_update(of=("self",)).filter(pk=user.pk).first()


def user_create(*, email: str, password: str, is_operator: bool = False,
                anti_phishing_code: str = "", full_name: str = "") -> User:
    user = User(email=normalize_email(email), is_staff=is_operator, full_name=full_name,
                anti_phishing_code=anti_phishing_code)
    user.set_password(password)
    user.full_clean()
    user.save()
    return user


def validate_anti_phishing_code(code: str) -> str:
    code = (code or "").strip()
    if not 4 <= len(code) <= 20:
        raise ValidationError("The anti-phishing code must be between 4 and 20 characters.")
    if not code.isprintable():
        raise ValidationError("The anti-phishing code may only contain printable characters.")
    return code


@transaction.atomic
def anti_phishing_code_set(*, user: User, code: str, request=None) -> User:
    code = validate_anti_phishing_code(code)
    if code == user.anti_phishing_code:
        return user
    had_code = bool(user.anti_phishing_code)
    user.anti_phishing_code = code
    user.save(update_fields=["anti_phishing_code"])
    audit_record(actor=user, action="account.anti_phishing_code_set", target=user, request=request,
                 data={"changed": had_code})
    if had_code:
        email_enqueue(kind="anti_phishing_changed", user=user,
                      dedup_key=f"{user.pk}:{timezone.now().isoformat()}")
    return user


# --- second factor: the challenge of one sign-in attempt ---------------------------------------

EXPIRED = "This code has expired or was tried too many times. Sign in again to get a new one."
CLOSED_BY_CODES = ("Too many wrong codes in a row. To protect this account, sign-in is closed until the "
                   "password is reset: use \u201cForgot your password?\u201d to get a link by email.")


class SigninClosed(SigninError):
    """Past SIGNIN_FAILURE_CAP wrong codes: only an emailed password reset opens sign-in again."""

    def __init__(self) -> None:
        super().__init__(CLOSED_BY_CODES)


def _open_email_challenge(user: User, now) -> SigninChallenge | None:
    return SigninChallenge.objects.filter(
        user=user, method=SigninChallenge.Method.EMAIL, used_at__isnull=True, superseded_at__isnull=True,
        expires_at__gt=now, attempts__lt=settings.SIGNIN_CODE_MAX_ATTEMPTS,
    ).order_by("-created_at").first()


@transaction.atomic
def signin_challenge_start(*, user: User, request=None) -> SigninChallenge:
    """Open the second-factor step after a correct password; supersede older open steps.

    Within the resend cooldown of the account's last code email, the open email challenge is
    handed out again (no new email, no fresh tries): re-posting the password is not a way
    round the cooldown. With none open, ResendTooSoon."""
    user = User.objects.select_for_update().get(pk=user.pk)  # one start at a time per account
    throttle.signin_failures_clear(user=user)
    now = timezone.now()
    method = SigninChallenge.Method.TOTP if user.totp_enabled else SigninChallenge.Method.EMAIL
    if method == SigninChallenge.Method.EMAIL and user.signin_code_sent_at is not None:
        waited = (now - user.signin_code_sent_at).total_seconds()
        if waited < settings.SIGNIN_CODE_RESEND_SECONDS:
            challenge = _open_email_challenge(user, now)
            if challenge is None:
                raise ResendTooSoon(int(settings.SIGNIN_CODE_RESEND_SECONDS - waited) + 1)
            audit_record(actor=user, action="signin.password_ok", target=user, request=request,
                         data={"method": method, "code": "reused"})
            return challenge
    SigninChallenge.objects.filter(user=user, used_at__isnull=True, superseded_at__isnull=True).update(
        superseded_at=now
    )
    challenge = SigninChallenge.objects.create(
        user=user, method=method, created_at=now,
        expires_at=now + timedelta(seconds=settings.SIGNIN_CODE_TTL_SECONDS),
    )
    if method == SigninChallenge.Method.EMAIL:
        email_enqueue(kind="signin_code", user=user, dedup_key=str(challenge.pk),
                      context={"challenge_id": str(challenge.pk)})
        user.signin_code_sent_at = now
        user.save(update_fields=["signin_code_sent_at"])
    audit_record(actor=user, action="signin.password_ok", target=user, request=request,
                 data={"method": method})
    return challenge


def signin_code_prepare_email(email) -> dict | None:
    """Run by the delivering job: make the code, keep only its hash, hand it to the template."""
    challenge_id = email.context["challenge_id"]
    code = f"{secrets.randbelow(10**6):06d}"
    updated = SigninChallenge.objects.filter(
        pk=challenge_id, used_at__isnull=True, superseded_at__isnull=True,
        expires_at__gt=timezone.now(), method=SigninChallenge.Method.EMAIL,
    ).update(code_hash=code_hash("signin", challenge_id, code))
    if not updated:
        return None  # superseded, used or expired before we got to it: send nothing
    return {"code": code, "minutes": settings.SIGNIN_CODE_TTL_SECONDS // 60}


def signin_challenge_resend(*, challenge: SigninChallenge, request=None) -> SigninChallenge:
    """A new code by email, at most one per cooldown per account (however many challenges)."""
    sent_at = User.objects.filter(pk=challenge.user_id).values_list("signin_code_sent_at", flat=True).first()
    if sent_at is not None:
        waited = (timezone.now() - sent_at).total_seconds()
        if waited < settings.SIGNIN_CODE_RESEND_SECONDS:
            raise ResendTooSoon(int(settings.SIGNIN_CODE_RESEND_SECONDS - waited) + 1)
    return signin_challenge_start(user=challenge.user, request=request)


def _usable(challenge_id, now):
    return SigninChallenge.objects.filter(
        pk=challenge_id, used_at__isnull=True, superseded_at__isnull=True, expires_at__gt=now,
        attempts__lt=settings.SIGNIN_CODE_MAX_ATTEMPTS,
    )


def _consume(challenge: SigninChallenge) -> bool:
    return bool(SigninChallenge.objects.filter(pk=challenge.pk, used_at__isnull=True).update(
        used_at=timezone.now()))


def _code_right(challenge: SigninChallenge, user: User, code: str) -> bool:
    if challenge.method == SigninChallenge.Method.EMAIL:
        return code.isdigit() and code_matches(challenge.code_hash, "signin", str(challenge.pk), code)
    return totp_verify(user=user, code=code) or recovery_code_use(user=user, code=code)


def _verify_locked(challenge_id, user_id: int, code: str, request) -> tuple[User | None, str]:
    """The checks and their writes, with the account row locked (one guess at a time per account);
    returns (user, "") or (None, the message). Never raises, so the counts always commit."""
    now = timezone.now()
    user = User.objects.select_for_update().filter(pk=user_id).first()
    if user is None or not _usable(challenge_id, now).filter(user_id=user_id).exists():
        return None, EXPIRED
    wait = throttle.code_wait(user)
    if wait == throttle.CLOSED:
        return None, CLOSED_BY_CODES
    if wait is not None:
        seconds = math.ceil(wait)
        return None, f"Too many wrong codes. Please wait {seconds} second{'s' * (seconds != 1)} before the next try."
    _usable(challenge_id, now).update(attempts=F("attempts") + 1)
    challenge = SigninChallenge.objects.get(pk=challenge_id)
    if _code_right(challenge, user, code):
        if not _consume(challenge):
            return None, "This code was already used. Sign in again to get a new one."
        throttle.code_failures_clear(user=user)
        audit_record(actor=user, action="signin.completed", target=user, request=request,
                     data={"method": challenge.method})
        return user, ""
    throttle.code_failure_record(user=user, request=request)
    audit_record(actor=user, action="signin.code_wrong", target=user, request=request,
                 data={"attempts": challenge.attempts, "in_a_row": user.wrong_codes})
    if user.wrong_codes >= settings.SIGNIN_FAILURE_CAP:
        return None, CLOSED_BY_CODES
    left = settings.SIGNIN_CODE_MAX_ATTEMPTS - challenge.attempts
    if left <= 0:
        return None, "Too many wrong codes. Sign in again to get a new one."
    return None, f"That code is not right. {left} tries left."


def signin_challenge_verify(*, challenge_id, user_id: int, code: str, request=None) -> User:
    """Check a second-factor code for the session's challenge; returns the user or raises."""
    code = "".join((code or "").split())
    with transaction.atomic():
        user, message = _verify_locked(challenge_id, user_id, code, request)
    if user is None:
        raise SigninClosed() if message == CLOSED_BY_CODES else SigninError(message)
    return user


# --- new sign-in notice ------------------------------------------------------------------------

@transaction.atomic
def signin_device_record(*, user: User, request) -> bool:
    """Remember where this sign-in came from; email the user when it is new (not their first ever)."""
    import hashlib

    agent = (request.META.get("HTTP_USER_AGENT") or "")[:200]
    ip = request.META.get("REMOTE_ADDR") or None
    agent_hash = hashlib.sha256(agent.encode()).hexdigest()
    had_any = KnownDevice.objects.filter(user=user).exists()
    device, created = KnownDevice.objects.get_or_create(user=user, ip_address=ip, agent_hash=agent_hash,
                                                         defaults={"agent": agent})
    if not created:
        KnownDevice.objects.filter(pk=device.pk).update(last_seen=timezone.now())
        return False
    if had_any:
        email_enqueue(kind="new_signin", user=user, dedup_key=f"{user.pk}:{device.pk}",
                      context={"ip": ip or "unknown", "agent": agent or "unknown browser",
                               "when": device.first_seen.strftime("%Y-%m-%d %H:%M UTC")})
    return had_any


# --- password reset ----------------------------------------------------------------------------

def password_reset_request(*, email: str, request=None) -> None:
    """Ask for a reset link. The same work whatever the address (one job deferred, no lookup
    here), so neither the answer nor its timing says whether an account has it."""
    from sequence.accounts.tasks import password_reset_request as job

    ip = request.META.get("REMOTE_ADDR") if request is not None else None
    defer(job, email=normalize_email(email), ip=ip or None)


@transaction.atomic
def password_reset_send(*, email: str, ip: str | None = None) -> None:
    """Run by the job: queue the reset email if the address is known; nothing otherwise."""
    user = User.objects.filter(email__iexact=normalize_email(email), is_active=True).first()
    if user is None:
        return
    minute = timezone.now().strftime("%Y%m%d%H%M")
    email_enqueue(kind="password_reset", user=user, dedup_key=f"{user.pk}:{minute}")
    audit_record(actor=user, action="account.password_reset_requested", target=user,
                 request=SimpleNamespace(META={"REMOTE_ADDR": ip}))  # the requester's address


def password_reset_prepare_email(email) -> dict | None:
    user = email.user
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    path = reverse("accounts:password_reset_confirm", kwargs={"uidb64": uid, "token": token})
    return {"reset_url": f"{settings.SITE_URL}{path}", "hours": settings.PASSWORD_RESET_TIMEOUT // 3600}


@transaction.atomic
def password_changed(*, user: User, request=None) -> None:
    """The emailed reset (or a change) also reopens an account closed by wrong passwords or codes."""
    throttle.signin_failures_clear(user=user)
    throttle.code_failures_clear(user=user)
    audit_record(actor=user, action="account.password_changed", target=user, request=request)
    email_enqueue(kind="password_changed", user=user, dedup_key=f"{user.pk}:{timezone.now().isoformat()}")

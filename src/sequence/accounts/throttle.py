"""Limits on guessing (SECURITY.md brute force): wrong passwords per email address, wrong
second-factor codes per account.

Both follow one rule: SIGNIN_FREE_FAILURES free tries, then delays doubling from 1 s
(capped at SIGNIN_MAX_DELAY_SECONDS), and after SIGNIN_FAILURE_CAP consecutive failures
sign-in stays closed until the password is reset through the emailed link, the only
account-wide stop. django-axes adds a lockout per (email, client address), which hurts
only the address that guesses.

Passwords are counted per email address whether an account has it or not, with the same
queries either way, so the delays tell nobody which addresses have accounts. Codes are
counted on the account: only someone with the right password gets to try one.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import salted_hmac

from sequence.accounts.models import SigninThrottle, User, normalize_email
from sequence.ops.services import audit_record

CLOSED = float("inf")  # a wait that only a password reset ends


def delay_after(failures: int) -> timedelta | None:
    """The wait after this many consecutive failures (None: free, or closed past the cap)."""
    over = failures - settings.SIGNIN_FREE_FAILURES
    if over < 0 or failures >= settings.SIGNIN_FAILURE_CAP:
        return None
    return timedelta(seconds=min(2**over, settings.SIGNIN_MAX_DELAY_SECONDS))


def _wait(failures: int, blocked_until: datetime | None) -> float | None:
    if failures >= settings.SIGNIN_FAILURE_CAP:
        return CLOSED
    if blocked_until is None:
        return None
    left = (blocked_until - timezone.now()).total_seconds()
    return left if left > 0 else None


# --- passwords, per email address ------------------------------------------------------------

def email_key(email: str) -> str:
    """The throttle's key: no plaintext addresses of strangers in the database."""
    return salted_hmac("sequence.accounts.signin_throttle", normalize_email(email),
                       algorithm="sha256").hexdigest()


def signin_wait(*, email: str) -> float | None:
    """Seconds before this address may try a password again; None: now; CLOSED: after a reset."""
    row = SigninThrottle.objects.filter(email_key=email_key(email)).only("failures", "blocked_until").first()
    return None if row is None else _wait(row.failures, row.blocked_until)


def signin_failure_record(*, email: str, request=None) -> None:
    """One more consecutive wrong password for this address, known or not: the same work."""
    now = timezone.now()
    with transaction.atomic():
        row, _ = SigninThrottle.objects.select_for_update().get_or_create(email_key=email_key(email))
        row.failures += 1
        delay = delay_after(row.failures)
        row.blocked_until = now + delay if delay else None
        row.updated_at = now
        row.save(update_fields=["failures", "blocked_until", "updated_at"])
        if row.failures == settings.SIGNIN_FAILURE_CAP:
            # Recorded for unknown addresses too (no target then): the same writes, and an
            # operator sees password spraying as well.
            user = User.objects.filter(email__iexact=normalize_email(email)).first()
            audit_record(actor=None, action="signin.account_locked", target=user, request=request,
                         data={"failures": row.failures, "by": "password"})


def signin_failures_clear(*, user: User) -> None:
    """The right password (or a new one) starts the count afresh."""
    SigninThrottle.objects.filter(email_key=email_key(user.email)).delete()


# --- second-factor codes, per account --------------------------------------------------------

def code_wait(user: User) -> float | None:
    """Seconds before this account may try another code; None: now; CLOSED: after a reset."""
    return _wait(user.wrong_codes, user.codes_blocked_until)


def code_failure_record(*, user: User, request=None) -> None:
    """One more wrong code for the account. The caller holds the user row locked."""
    user.wrong_codes += 1
    delay = delay_after(user.wrong_codes)
    user.codes_blocked_until = timezone.now() + delay if delay else None
    user.save(update_fields=["wrong_codes", "codes_blocked_until"])
    if user.wrong_codes == settings.SIGNIN_FAILURE_CAP:
        audit_record(actor=None, action="signin.account_locked", target=user, request=request,
                     data={"failures": user.wrong_codes, "by": "code"})


def code_failures_clear(*, user: User) -> None:
    """A right code (or a new password) ends the run of wrong codes and the resend cooldown."""
    User.objects.filter(pk=user.pk).filter(
        Q(wrong_codes__gt=0) | Q(codes_blocked_until__isnull=False) | Q(signin_code_sent_at__isnull=False)
    ).update(wrong_codes=0, codes_blocked_until=None, signin_code_sent_at=None)
    user.wrong_codes, user.codes_blocked_until, user.signin_code_sent_at = 0, None, None

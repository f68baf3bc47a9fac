"""Authenticator apps (RFC 6238) and recovery codes: setup, checks, turning off.

The seed is sealed at rest with core.aead (FIELD_ENCRYPTION_KEY), bound to its user and slot.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass

import pyotp
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from sequence.accounts.errors import SigninError
from sequence.accounts.models import RecoveryCode, User
from sequence.accounts.secrets_at_rest import code_hash, field_keyring, totp_aad
from sequence.notifications.services import email_enqueue
from sequence.ops.services import audit_record

RECOVERY_CODES = 10
TOTP_ISSUER_FALLBACK = "Sequence"


@dataclass(frozen=True)
class TotpSetup:
    secret: str  # shown once, as a QR code and as text, to the user setting it up
    uri: str


def _totp_issuer() -> str:
    return settings.SITE_NAME or TOTP_ISSUER_FALLBACK


@transaction.atomic
def totp_setup_begin(*, user: User) -> TotpSetup:
    secret = pyotp.random_base32()
    user.totp_pending_sealed = field_keyring().seal(secret.encode(), totp_aad(user.pk, "pending"))
    user.save(update_fields=["totp_pending_sealed"])
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=_totp_issuer())
    return TotpSetup(secret=secret, uri=uri)


def _open_seed(user: User, slot: str) -> str | None:
    sealed = user.totp_seed_sealed if slot == "active" else user.totp_pending_sealed
    if not sealed:
        return None
    return field_keyring().open(bytes(sealed), totp_aad(user.pk, slot)).decode()


def _totp_step_matching(secret: str, code: str) -> int | None:
    # isdigit() alone passes other scripts' digits ("١٢٣٤٥٦"), which compare_digest refuses (a 500)
    if not (code.isascii() and code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    now_step = int(timezone.now().timestamp()) // totp.interval
    for step in (now_step - 1, now_step, now_step + 1):  # one step of clock drift either way
        if secrets.compare_digest(totp.at(step * totp.interval), code):
            return step
    return None


@transaction.atomic
def totp_setup_confirm(*, user: User, code: str, request=None) -> list[str]:
    """Turn TOTP on once the app shows the right code; returns the recovery codes (shown once)."""
    secret = _open_seed(user, "pending")
    code = "".join((code or "").split())
    step = _totp_step_matching(secret, code) if secret else None
    if step is None:
        raise SigninError("That code does not match. Check the time on your phone and try again.")
    replaced = user.totp_enabled
    user.totp_seed_sealed = field_keyring().seal(secret.encode(), totp_aad(user.pk, "active"))
    user.totp_pending_sealed = None
    user.totp_confirmed_at = timezone.now()
    user.totp_last_step = step
    user.save(update_fields=["totp_seed_sealed", "totp_pending_sealed", "totp_confirmed_at", "totp_last_step"])
    codes = _recovery_codes_replace(user)
    audit_record(actor=user, action="account.totp_replaced" if replaced else "account.totp_enabled",
                 target=user, request=request)
    email_enqueue(kind="totp_replaced" if replaced else "totp_enabled", user=user,
                  dedup_key=f"{user.pk}:{user.totp_confirmed_at.isoformat()}")
    return codes


def totp_verify(*, user: User, code: str) -> bool:
    """A current TOTP code, each time step accepted once (no replay)."""
    secret = _open_seed(user, "active")
    step = _totp_step_matching(secret, code) if secret else None
    if step is None:
        return False
    return bool(User.objects.filter(pk=user.pk, totp_last_step__lt=step).update(totp_last_step=step))


@transaction.atomic
def totp_disable(*, user: User, request=None) -> None:
    """The caller checked a recent second factor; the owner hears of it by email (ASVS 6.3.7)."""
    if not user.totp_enabled:
        return
    user.totp_seed_sealed = None
    user.totp_pending_sealed = None
    user.totp_confirmed_at = None
    user.save(update_fields=["totp_seed_sealed", "totp_pending_sealed", "totp_confirmed_at"])
    RecoveryCode.objects.filter(user=user).delete()
    audit_record(actor=user, action="account.totp_disabled", target=user, request=request)
    email_enqueue(kind="totp_disabled", user=user, dedup_key=f"{user.pk}:{timezone.now().isoformat()}")


def _recovery_codes_replace(user: User) -> list[str]:
    RecoveryCode.objects.filter(user=user).delete()
    codes = [base64.b32encode(secrets.token_bytes(10)).decode().lower() for _ in range(RECOVERY_CODES)]
    RecoveryCode.objects.bulk_create(
        RecoveryCode(user=user, code_hash=code_hash("recovery", str(user.pk), c)) for c in codes
    )
    return [f"{c[:4]}-{c[4:8]}-{c[8:12]}-{c[12:]}" for c in codes]


def recovery_code_use(*, user: User, code: str) -> bool:
    normalized = "".join(ch for ch in (code or "").lower() if ch.isalnum())
    if len(normalized) != 16:
        return False
    digest = code_hash("recovery", str(user.pk), normalized)
    return bool(RecoveryCode.objects.filter(user=user, code_hash=digest, used_at__isnull=True).update(
        used_at=timezone.now()))

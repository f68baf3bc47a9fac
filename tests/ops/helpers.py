"""Building blocks of the console tests: an operator session with an app, submissions in each state."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

import pyotp
from django.utils import timezone

from sequence.accounts import totp
from sequence.accounts.decorators import SECOND_FACTOR_AT
from sequence.accounts.middleware import AUTH_AT, LAST_SEEN
from sequence.onboarding.models import Submission
from sequence.trading import services as trading
from sequence.trading.models import Bot
from sequence.vault.services import credential_store

CANARY = "ZqCanaryOpsSecret9"


def with_app(user) -> str:
    """Turn the user's authenticator app on through the real services; returns its secret."""
    setup = totp.totp_setup_begin(user=user)
    totp.totp_setup_confirm(user=user, code=pyotp.TOTP(setup.secret).now())
    user.refresh_from_db()
    return setup.secret


def sign_in(client, user, *, factor_age: float = 0.0):
    """A signed-in session as the sign-in view leaves it; the second factor ``factor_age`` seconds old."""
    client.force_login(user, backend="sequence.accounts.backends.EmailBackend")
    session = client.session
    now = time.time()
    session[AUTH_AT] = session[LAST_SEEN] = now
    session[SECOND_FACTOR_AT] = now - factor_age
    session.save()
    return client


def submission(user, offering, *, status="verified", flags=(), problems=(), secret=CANARY, checked=True,
               bot_status=None, fields=None) -> Submission:
    """A submission and its bot as verification leaves them (the key sealed in the vault);
    ``fields``: a real key's fields (default: canary values)."""
    credential = credential_store(owner=user, exchange=offering.exchange_id,
                                  fields=fields or {"api_key": f"{secret}KEY", "api_secret": f"{secret}SEC"})
    bot = trading.bot_create(user=user, offering=offering)
    now = timezone.now()
    verification = {"ok": not problems, "problems": [{"code": c, "message": f"problem {c}"} for c in problems],
                    "facts": {}}
    if checked:
        verification["checked_at"] = now.isoformat()
    bot_status = bot_status or {"verified": "awaiting_launch", "needs_attention": "needs_attention"}.get(
        status, "verifying")
    Bot.objects.filter(pk=bot.pk).update(status=bot_status, credential=credential,
                                         key_expires_at=now + timedelta(days=90), key_expiry_source="assumed")
    return Submission.objects.create(
        user=user, form_token=uuid.uuid4(), kind="new", bot=bot, offering=offering, credential=credential,
        key_tail=credential.key_tail, status=status, funded_confirmed=True, terms_version="t", risk_version="r",
        agreed_at=now, operator_flags=list(flags), verification=verification)

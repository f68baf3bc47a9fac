"""Writes of the notifications app: queue an email, deliver one."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from sequence.notifications.kinds import get_kind
from sequence.notifications.models import OutboundEmail
from sequence.ops.jobs import defer

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 10


def email_enqueue(*, kind: str, user, dedup_key: str, context: dict | None = None,
                  to: str | None = None) -> OutboundEmail:
    """Queue one email inside the caller's transaction; idempotent per dedup_key.

    `user` is whom the email is about; it goes to them unless `to` names another
    address (e.g. support), in which case the client's anti-phishing code is left out.
    """
    get_kind(kind)  # unknown kinds fail here, in the caller's transaction
    from sequence.notifications.tasks import deliver_email

    with transaction.atomic():
        email, created = OutboundEmail.objects.get_or_create(
            dedup_key=f"{kind}:{dedup_key}",
            defaults={"kind": kind, "user": user, "to_address": to or user.email,
                      "context": {**(context or {}), "internal": bool(to)}},
        )
        if created:
            # Deferred through Django's connection: the job exists only if we commit.
            defer(deliver_email, email_id=email.pk)
    return email


def render_email(email: OutboundEmail, extra: dict) -> tuple[str, str, str]:
    kind = get_kind(email.kind)
    context = {
        "user": email.user,
        "anti_phishing_code": "" if email.context.get("internal") else email.user.anti_phishing_code,
        "site_name": settings.SITE_NAME,
        "site_url": settings.SITE_URL,
        "support_email": settings.SUPPORT_EMAIL,
        "legal_name": settings.LEGAL_NAME,
        "from_trading_team": kind.from_trading_team,
        **email.context,
        **extra,
    }
    subject = " ".join(render_to_string(f"emails/{email.kind}.subject.txt", context).split())
    text = render_to_string(f"emails/{email.kind}.txt", context)
    html = render_to_string(f"emails/{email.kind}.html", context)
    return subject, text, html


def email_deliver(*, email_id: int) -> str:
    """Send one queued email; returns its final status. Raises to ask for a retry."""
    try:
        return _deliver(email_id)
    except Exception as exc:
        _record_failure(email_id, f"{type(exc).__name__}: {exc}"[:300])
        raise


def _deliver(email_id: int) -> str:
    with transaction.atomic():
        email = OutboundEmail.objects.select_for_update(of=("self",)).select_related("user").get(pk=email_id)
        if email.status != OutboundEmail.Status.QUEUED:
            return email.status
        email.attempts += 1
        extra = get_kind(email.kind).prepare(email)
        if extra is None:
            email.status = OutboundEmail.Status.SKIPPED
            email.save(update_fields=["status", "attempts"])
            return email.status
        subject, text, html = render_email(email, extra)
        message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [email.to_address])
        message.attach_alternative(html, "text/html")
        message.extra_headers["X-Sequence-Email-Id"] = str(email.pk)
        message.send()
        email.status = OutboundEmail.Status.SENT
        email.subject = subject
        email.sent_at = timezone.now()
        email.last_error = ""
        email.save(update_fields=["status", "attempts", "subject", "sent_at", "last_error"])
        log.info("email %s (%s) sent", email.pk, email.kind)
        return email.status


def _record_failure(email_id: int, failure: str) -> None:
    from django.db.models import F

    OutboundEmail.objects.filter(pk=email_id).update(attempts=F("attempts") + 1, last_error=failure)
    email = OutboundEmail.objects.get(pk=email_id)
    if email.attempts >= MAX_ATTEMPTS:
        OutboundEmail.objects.filter(pk=email_id).update(status=OutboundEmail.Status.DEAD)
        log.error("email %s (%s) failed %d times, giving up: %s", email_id, email.kind, email.attempts, failure)
    else:
        log.warning("email %s (%s) attempt %d failed: %s", email_id, email.kind, email.attempts, failure)


@transaction.atomic
def email_retry(*, email_id: int) -> OutboundEmail:
    """Put a dead-letter email back in the queue (an operator's Retry): fresh attempts, a new job."""
    from sequence.notifications.tasks import deliver_email

    email = OutboundEmail.objects.select_for_update().get(pk=email_id)
    if email.status != OutboundEmail.Status.DEAD:
        raise ValueError("Only an email that failed for good can be retried.")
    email.status, email.attempts, email.last_error = OutboundEmail.Status.QUEUED, 0, ""
    email.save(update_fields=["status", "attempts", "last_error"])
    defer(deliver_email, email_id=email.pk)
    return email

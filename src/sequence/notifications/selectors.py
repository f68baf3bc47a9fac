"""Reads of the outbox for other apps (the console's client page and its home counts)."""

from __future__ import annotations

from sequence.notifications.models import OutboundEmail


def emails_of(user, *, limit: int = 100) -> list[OutboundEmail]:
    return list(OutboundEmail.objects.filter(user=user).order_by("-created_at")[:limit])


def dead_emails(*, limit: int = 100) -> list[OutboundEmail]:
    """Dead-letter emails (delivery gave up), newest first: operators retry them."""
    return list(OutboundEmail.objects.filter(status=OutboundEmail.Status.DEAD).select_related("user")
                .order_by("-created_at")[:limit])

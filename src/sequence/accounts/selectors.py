"""Reads of accounts for other apps (the console's client list, the demo's people)."""

from __future__ import annotations

from django.db.models import Q

from sequence.accounts.models import User, normalize_email

__all__ = ["client_by_id", "clients_search", "normalize_email", "user_by_email"]


def user_by_email(email: str) -> User | None:
    return User.objects.filter(email=normalize_email(email)).first()


def clients_search(*, q: str = "", limit: int = 200) -> list[User]:
    """Clients (not operators) by email, with their bots (one prefetch: no query per client)."""
    qs = User.objects.filter(is_staff=False).order_by("email")
    if q:
        qs = qs.filter(Q(email__icontains=q) | Q(full_name__icontains=q))
    return list(qs.prefetch_related("bots__offering__strategy", "bots__offering__exchange")[:limit])


def client_by_id(pk) -> User | None:
    return User.objects.filter(pk=pk, is_staff=False).first()

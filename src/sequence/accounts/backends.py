"""Email + password authentication, case-insensitive, with the same work for unknown emails."""

from __future__ import annotations

import secrets
from functools import cache

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.hashers import check_password, make_password

from sequence.accounts.models import normalize_email


@cache
def _stand_in_hash() -> str:
    """A hash of nobody's password, made like a real one (same hasher, same cost)."""
    return make_password(secrets.token_urlsafe(24))


class EmailBackend(ModelBackend):
    def authenticate(self, request, email: str | None = None, password: str | None = None, **kwargs):
        email = email or kwargs.get(get_user_model().USERNAME_FIELD)
        if not email or password is None:
            return None
        model = get_user_model()
        try:
            user = model.objects.get(email__iexact=normalize_email(email))
        except model.DoesNotExist:
            # The very check a known user's wrong password gets: an unknown email costs the same.
            check_password(password, _stand_in_hash())
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

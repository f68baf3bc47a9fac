"""Email + password authentication, case-insensitive, even-timed for unknown emails."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from sequence.accounts.models import normalize_email


class EmailBackend(ModelBackend):
    def authenticate(self, request, email: str | None = None, password: str | None = None, **kwargs):
        email = email or kwargs.get(get_user_model().USERNAME_FIELD)
        if not email or password is None:
            return None
        model = get_user_model()
        try:
            user = model.objects.get(email__iexact=normalize_email(email))
        except model.DoesNotExist:
            # Hash anyway so an unknown email costs as long as a wrong password.
            model().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

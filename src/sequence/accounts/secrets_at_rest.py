"""Hashes and sealed values of the accounts app (codes, TOTP seeds)."""

from __future__ import annotations

import hmac
from functools import cache

from django.conf import settings
from django.utils.crypto import salted_hmac

from sequence.core.aead import Keyring


def code_hash(purpose: str, scope: str, code: str) -> str:
    """HMAC of a one-time code, bound to its purpose and owner (challenge or user)."""
    return salted_hmac(f"sequence.accounts.{purpose}", f"{scope}:{code}", algorithm="sha256").hexdigest()


def code_matches(stored_hash: str, purpose: str, scope: str, code: str) -> bool:
    return bool(stored_hash) and hmac.compare_digest(stored_hash, code_hash(purpose, scope, code))


@cache
def _keyring(spec: str) -> Keyring:
    return Keyring.parse(spec)


def field_keyring() -> Keyring:
    return _keyring(settings.FIELD_ENCRYPTION_KEYS)


def totp_aad(user_id: int, slot: str) -> bytes:
    return f"seq:v1:totp:{slot}:{user_id}".encode()

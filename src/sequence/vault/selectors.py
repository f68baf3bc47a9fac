"""Reads of the vault. None of them decrypts."""

from __future__ import annotations

from django.db.models import Count

from sequence.vault.keys import keys_configured, vault_keys
from sequence.vault.models import SECRET_FIELDS, Credential, SealedField


def credential_masked(credential: Credential) -> dict[str, str]:
    """What a page may show: e.g. ``{"api_key": "••••a1b2", "api_secret": "••••"}``. Never plaintext."""
    names = set(credential.sealed_fields.values_list("name", flat=True))
    return {name: "••••" + (credential.key_tail if name == "api_key" else "")
            for name in SECRET_FIELDS if name in names}


def vault_status() -> dict:
    """Counts of sealed values per kid, and what this process holds (kids only, no key)."""
    keys = vault_keys()
    per_kid = dict(SealedField.objects.values_list("kid").annotate(n=Count("id")).order_by("kid"))
    return {
        "current_kid": keys.public.current,
        "private_kids": keys.private.kids if keys.private else [],
        "generated_locally": keys.generated_locally,
        "configured": keys_configured(),
        "sealed_values_per_kid": per_kid,
        "stale_values": sum(n for kid, n in per_kid.items() if kid != keys.public.current),
        "credentials": Credential.objects.filter(destroyed_at__isnull=True).count(),
        "destroyed_credentials": Credential.objects.filter(destroyed_at__isnull=False).count(),
    }

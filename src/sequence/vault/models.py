"""Sealed exchange credentials. The database holds ciphertext only; keys live outside it."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

# The secret fields a credential may have (defined once, by the exchange layer). api_name
# (the key's label on the exchange) is not secret: it is stored plain as Credential.label.
from sequence.exchanges.credentials import SECRET_FIELDS

SEAL_PURPOSE = "exchange-credential"  # the purpose bound into every sealed value's context


class Credential(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="vault_credentials")
    exchange = models.SlugField(max_length=32)
    label = models.CharField(max_length=100, blank=True, help_text="The key's name on the exchange (not secret)")
    key_tail = models.CharField(max_length=4, blank=True, help_text="Last 4 characters of the API key, for display")
    created_at = models.DateTimeField(default=timezone.now)
    destroyed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["owner", "exchange"])]

    def __str__(self) -> str:
        state = " destroyed" if self.destroyed_at else ""
        return f"Credential {self.pk} ({self.exchange}, ••••{self.key_tail}{state})"

    @property
    def is_destroyed(self) -> bool:
        return self.destroyed_at is not None


class SealedField(models.Model):
    """One secret field of a credential, sealed to the vault's public key."""

    credential = models.ForeignKey(Credential, on_delete=models.CASCADE, related_name="sealed_fields")
    name = models.CharField(max_length=20, choices=[(name, name) for name in SECRET_FIELDS])
    kid = models.CharField(max_length=16, db_index=True, help_text="Key id the value is sealed to (also in its header)")
    sealed = models.BinaryField()
    sealed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["credential", "name"], name="vault_one_sealed_value_per_field")]

    def __str__(self) -> str:
        return f"SealedField {self.name} of {self.credential_id} (kid {self.kid})"

    def __repr__(self) -> str:
        return f"<SealedField: {self}>"


class DecryptionRecord(models.Model):
    """Written every time the vault opens a credential: who, which process, why, when."""

    credential = models.ForeignKey(Credential, on_delete=models.PROTECT, related_name="decryptions")
    actor = models.CharField(max_length=100, help_text="Who asked, e.g. 'verification worker'")
    process = models.CharField(max_length=200, help_text="host:pid of the process that decrypted")
    purpose = models.CharField(max_length=200)
    fields = models.CharField(max_length=100, help_text="Names of the fields opened, comma-separated")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"DecryptionRecord {self.credential_id} by {self.actor} for {self.purpose!r} at {self.created_at}"

"""Writes of the vault: the only code that decrypts exchange credentials.

`credential_store` needs only the public key (the web process). `credential_open`
and `vault_rotate` need the private keyring (the workers); a process without it
gets `VaultLocked`. Nothing here logs, returns in an error, or passes to a job
anything secret: jobs get credential ids and call `credential_open` themselves.
"""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from sequence.core.redaction import Secret
from sequence.core.sealing import SealingKeyError, UnsealError, context_for
from sequence.ops.services import audit_record
from sequence.vault.keys import vault_keys
from sequence.vault.models import (
    SEAL_PURPOSE,
    SECRET_FIELDS,
    Credential,
    DecryptionRecord,
    SealedField,
)

log = logging.getLogger(__name__)


class VaultError(Exception):
    """Base of the vault's errors; messages never contain secrets or key material."""


class VaultLocked(VaultError):
    """This process holds no private key (the web role): it can seal, not open."""


class CredentialDestroyed(VaultError):
    """The credential was destroyed; its sealed values are gone."""


class CredentialUnreadable(VaultError):
    """A sealed value does not open (moved, tampered, or sealed to a kid we no longer hold)."""


def _context(credential: Credential, name: str) -> bytes:
    return context_for(SEAL_PURPOSE, credential.owner_id, credential.pk, name)


def _process() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:200]


def _private_keyring():
    keys = vault_keys()
    if keys.private is None:
        raise VaultLocked("this process holds no vault private key (VAULT_PRIVATE_KEYS is unset): "
                          "credentials open only in a worker")
    return keys.private


def _open_fields(credential: Credential, rows: list[SealedField]) -> dict[str, Secret]:
    private = _private_keyring()
    opened: dict[str, Secret] = {}
    for row in rows:
        try:
            opened[row.name] = Secret(private.open(bytes(row.sealed), _context(credential, row.name)).decode())
        except UnsealError as exc:
            raise CredentialUnreadable(f"credential {credential.pk} field {row.name!r}: {exc}") from None
    return opened


def credential_store(*, owner, exchange: str, fields: dict[str, str], label: str = "") -> Credential:
    """Seal `fields` (api_key required; empty values skipped) to the public key, in the caller's transaction."""
    unknown = sorted(set(fields) - set(SECRET_FIELDS))
    if unknown:
        hint = " (api_name is not secret: pass it as label=)" if "api_name" in unknown else ""
        raise ValueError(f"unknown credential field(s) {unknown}; expected some of {list(SECRET_FIELDS)}{hint}")
    values = {name: value for name, value in fields.items() if value}
    if not values.get("api_key"):
        raise ValueError("a credential needs an api_key")
    public = vault_keys().public
    api_key = values["api_key"]
    with transaction.atomic():
        credential = Credential.objects.create(
            owner=owner, exchange=exchange, label=label[:100],
            key_tail=api_key[-4:] if len(api_key) > 8 else "",
        )
        SealedField.objects.bulk_create([
            SealedField(credential=credential, name=name, kid=public.current,
                        sealed=public.seal(value.encode(), _context(credential, name)))
            for name, value in values.items()
        ])
        audit_record(actor=owner, action="vault.credential_stored", target=credential,
                     data={"exchange": exchange, "fields": sorted(values), "kid": public.current})
    log.info("vault: stored credential %s (%s) for user %s", credential.pk, exchange, owner.pk)
    return credential


def credential_open(*, credential: Credential, purpose: str, actor: str) -> dict[str, Secret]:
    """The credential's secret fields as `Secret`s; records who opened it and why.

    Raises VaultLocked (no private key here), CredentialDestroyed, CredentialUnreadable.
    """
    if not purpose or not actor:
        raise ValueError("credential_open needs a purpose and an actor")
    _private_keyring()  # fail fast, before touching the database
    with transaction.atomic():
        credential = Credential.objects.get(pk=credential.pk)
        if credential.is_destroyed:
            raise CredentialDestroyed(f"credential {credential.pk} was destroyed")
        rows = list(credential.sealed_fields.all())  # one query: all old or all re-sealed
        if not rows:  # destroyed since the read above
            raise CredentialDestroyed(f"credential {credential.pk} was destroyed")
        opened = _open_fields(credential, rows)
        DecryptionRecord.objects.create(credential=credential, actor=actor[:100], process=_process(),
                                        purpose=purpose[:200], fields=",".join(sorted(opened)))
    log.info("vault: credential %s opened by %s for %s", credential.pk, actor, purpose)
    return opened


def credential_destroy(*, credential: Credential, reason: str) -> None:
    """Wipe the sealed values and mark the credential destroyed (idempotent), in the caller's transaction."""
    with transaction.atomic():
        locked = Credential.objects.select_for_update().get(pk=credential.pk)
        deleted, _ = SealedField.objects.filter(credential=locked).delete()
        if locked.destroyed_at is None:
            locked.destroyed_at = timezone.now()
            locked.save(update_fields=["destroyed_at"])
            audit_record(actor=None, action="vault.credential_destroyed", target=locked,
                         data={"reason": reason[:200], "fields_wiped": deleted})
    credential.destroyed_at = locked.destroyed_at
    log.info("vault: credential %s destroyed (%s)", credential.pk, reason)


@dataclass
class RotationReport:
    current_kid: str
    credentials: int = 0  # credentials re-sealed
    fields: int = 0  # sealed values re-sealed
    failed: list[str] = field(default_factory=list)  # credential ids whose values did not open

    def __str__(self) -> str:
        text = (f"re-sealed {self.fields} field(s) of {self.credentials} credential(s) "
                f"under kid {self.current_kid}")
        if self.failed:
            text += f"; {len(self.failed)} credential(s) could not be opened: {', '.join(self.failed)}"
        return text


def vault_rotate(*, actor: str = "vault rotate", limit: int | None = None) -> RotationReport:
    """Re-seal every value whose kid is not the current public kid. Idempotent; safe while running.

    Each credential is re-sealed in its own short transaction holding its row lock, so a
    reader sees either all its old values or all its new ones (both open while the old
    private key is still held). Needs the private keyring (old kids) and the public key.
    """
    _private_keyring()  # VaultLocked without it
    public = vault_keys().public
    report = RotationReport(current_kid=public.current)
    pending = (SealedField.objects.exclude(kid=public.current)
               .values_list("credential_id", flat=True).distinct().order_by("credential_id"))
    ids = list(pending[:limit] if limit else pending)
    for credential_id in ids:
        with transaction.atomic():
            credential = Credential.objects.select_for_update().get(pk=credential_id)
            rows = [row for row in credential.sealed_fields.all() if row.kid != public.current]
            if credential.is_destroyed or not rows:
                continue
            try:
                opened = _open_fields(credential, rows)
            except CredentialUnreadable as exc:
                log.warning("vault rotate: %s", exc)
                report.failed.append(str(credential_id))
                continue
            now = timezone.now()
            for row in rows:
                row.sealed = public.seal(opened[row.name].reveal().encode(), _context(credential, row.name))
                row.kid, row.sealed_at = public.current, now
            SealedField.objects.bulk_update(rows, ["sealed", "kid", "sealed_at"])
            DecryptionRecord.objects.create(credential=credential, actor=actor[:100], process=_process(),
                                            purpose=f"re-seal under kid {public.current}",
                                            fields=",".join(sorted(opened)))
            del opened
        report.credentials += 1
        report.fields += len(rows)
    if ids:
        audit_record(actor=None, action="vault.rotated",
                     data={"kid": public.current, "credentials": report.credentials, "fields": report.fields,
                           "failed": len(report.failed), "by": actor[:100]})
    log.info("vault rotate: %s", report)
    return report


@dataclass
class VerifyReport:
    opened: int = 0  # live credentials whose every value opened
    failed: list[str] = field(default_factory=list)  # ids of those that did not

    def __str__(self) -> str:
        text = f"opened {self.opened} of {self.opened + len(self.failed)} live credential(s)"
        if self.failed:
            text += f"; {len(self.failed)} could not be opened with these keys: {', '.join(self.failed)}"
        return text


def vault_verify(*, actor: str = "sequence vault verify") -> VerifyReport:
    """Open every live credential once (recorded, as every opening is) and forget the values:
    after a restore, proof that this process's keys are those of the dump's platform."""
    _private_keyring()  # VaultLocked without it
    report = VerifyReport()
    for credential in Credential.objects.filter(destroyed_at__isnull=True).order_by("created_at", "id"):
        try:
            opened = credential_open(credential=credential, purpose="verify the vault keys", actor=actor)
        except (CredentialUnreadable, CredentialDestroyed) as exc:
            log.warning("vault verify: %s", exc)
            report.failed.append(str(credential.pk))
            continue
        del opened
        report.opened += 1
    log.info("vault verify: %s", report)
    return report


__all__ = [
    "CredentialDestroyed", "CredentialUnreadable", "RotationReport", "SealingKeyError", "VaultError",
    "VaultLocked", "VerifyReport", "credential_destroy", "credential_open", "credential_store", "vault_rotate",
    "vault_verify",
]

"""The vault: store, open, destroy, and what never leaks (SECURITY.md T10, T12)."""

from __future__ import annotations

import logging

import pytest
from django.apps import apps
from django.db import connection

from sequence.ops.models import AuditEvent
from sequence.vault.models import DecryptionRecord, SealedField
from sequence.vault.selectors import credential_masked
from sequence.vault.services import (
    CredentialDestroyed,
    CredentialUnreadable,
    VaultLocked,
    credential_destroy,
    credential_open,
    credential_store,
)
from tests.vault.conftest import PAIR1

pytestmark = pytest.mark.django_db

FIELDS = {"api_key": "AKIAxxxxxxxxa1b2", "api_secret": "shh-very-secret", "passphrase": "pass phrase"}


def store(owner, fields=FIELDS, **kw):
    return credential_store(owner=owner, exchange="okx", fields=dict(fields), **kw)


def revealed(opened):
    return {name: secret.reveal() for name, secret in opened.items()}


def test_store_then_open_round_trip_and_the_opening_is_recorded(alice, worker_keys):
    credential = store(alice, label="my bot key")
    assert credential.key_tail == "a1b2" and credential.label == "my bot key"
    assert sorted(SealedField.objects.filter(credential=credential).values_list("name", flat=True)) == \
        ["api_key", "api_secret", "passphrase"]
    assert set(SealedField.objects.values_list("kid", flat=True)) == {"k1"}
    assert not DecryptionRecord.objects.exists()

    opened = credential_open(credential=credential, purpose="verify submission", actor="verification worker")
    assert revealed(opened) == FIELDS
    record = DecryptionRecord.objects.get()
    assert (record.credential_id, record.actor, record.purpose) == (credential.pk, "verification worker",
                                                                    "verify submission")
    assert record.fields == "api_key,api_secret,passphrase" and ":" in record.process
    assert AuditEvent.objects.filter(action="vault.credential_stored", target_id=str(credential.pk)).exists()


def test_masked_view_shows_only_the_key_tail(alice, web_keys):
    credential = store(alice)
    assert credential_masked(credential) == {"api_key": "••••a1b2", "api_secret": "••••", "passphrase": "••••"}
    short = store(alice, {"api_key": "abc123", "api_secret": "x"})
    assert short.key_tail == "" and credential_masked(short)["api_key"] == "••••"


def test_empty_fields_are_skipped_and_bad_fields_rejected(alice, worker_keys):
    credential = store(alice, {"api_key": "AKIAxxxxxxxxa1b2", "api_secret": "s", "passphrase": ""})
    assert set(credential_open(credential=credential, purpose="p", actor="a")) == {"api_key", "api_secret"}
    with pytest.raises(ValueError, match="pass it as label="):
        store(alice, {**FIELDS, "api_name": "label"})
    with pytest.raises(ValueError, match=r"unknown credential field\(s\) \['token'\]"):
        store(alice, {**FIELDS, "token": "x"})
    with pytest.raises(ValueError, match="needs an api_key"):
        store(alice, {"api_secret": "x"})
    with pytest.raises(ValueError, match="purpose and an actor"):
        credential_open(credential=credential, purpose="", actor="a")


def test_the_web_role_seals_but_cannot_open(alice, web_keys):
    credential = store(alice)  # the public key suffices to store
    with pytest.raises(VaultLocked, match="no vault private key"):
        credential_open(credential=credential, purpose="peek", actor="web")
    assert not DecryptionRecord.objects.exists()
    web_keys.VAULT_PRIVATE_KEYS = PAIR1[1]
    assert revealed(credential_open(credential=credential, purpose="engine", actor="worker")) == FIELDS


def _sealed(credential, name) -> bytes:
    return bytes(SealedField.objects.get(credential=credential, name=name).sealed)


def test_a_ciphertext_moved_to_another_row_or_field_does_not_open(alice, bob, worker_keys):
    victim, attacker = store(alice), store(bob, {"api_key": "BOBxxxxxxxxxzzzz", "api_secret": "bob-secret"})
    # Another field of the same row: api_secret's ciphertext written into api_key.
    SealedField.objects.filter(credential=victim, name="api_key").update(sealed=_sealed(victim, "api_secret"))
    with pytest.raises(CredentialUnreadable, match=r"field 'api_key'.*wrong row or field"):
        credential_open(credential=victim, purpose="p", actor="a")
    # Another row: alice's api_secret copied into bob's credential (a DB write by an attacker).
    victim2 = store(alice)
    SealedField.objects.filter(credential=attacker, name="api_secret").update(sealed=_sealed(victim2, "api_secret"))
    with pytest.raises(CredentialUnreadable, match="field 'api_secret'"):
        credential_open(credential=attacker, purpose="p", actor="a")
    # Same owner, another credential: still refused (the credential id is bound).
    victim3 = store(alice)
    SealedField.objects.filter(credential=victim3, name="api_secret").update(sealed=_sealed(victim2, "api_secret"))
    with pytest.raises(CredentialUnreadable):
        credential_open(credential=victim3, purpose="p", actor="a")
    assert revealed(credential_open(credential=victim2, purpose="p", actor="a")) == FIELDS  # the original still opens
    assert DecryptionRecord.objects.count() == 1  # failed openings record nothing


def test_truncated_or_unknown_kid_values_give_clear_errors(alice, worker_keys):
    credential = store(alice)
    SealedField.objects.filter(credential=credential, name="api_key").update(sealed=_sealed(credential, "api_key")[:20])
    with pytest.raises(CredentialUnreadable, match="truncated"):
        credential_open(credential=credential, purpose="p", actor="a")
    other = store(alice)
    SealedField.objects.filter(credential=other, name="api_key").update(
        sealed=b"k9" + _sealed(other, "api_key")[2:])
    with pytest.raises(CredentialUnreadable, match=r"kid 'k9'.*does not hold"):
        credential_open(credential=other, purpose="p", actor="a")


def test_destroy_wipes_the_ciphertext(alice, worker_keys):
    credential, kept = store(alice), store(alice)
    credential_destroy(credential=credential, reason="replaced by an API refresh")
    assert credential.destroyed_at is not None
    credential.refresh_from_db()
    assert credential.is_destroyed and not SealedField.objects.filter(credential=credential).exists()
    assert SealedField.objects.filter(credential=kept).count() == 3
    with pytest.raises(CredentialDestroyed):
        credential_open(credential=credential, purpose="p", actor="a")
    when = credential.destroyed_at
    credential_destroy(credential=credential, reason="again")  # idempotent
    credential.refresh_from_db()
    assert credential.destroyed_at == when
    assert AuditEvent.objects.filter(action="vault.credential_destroyed").count() == 1
    assert credential_masked(credential) == {}


def _vault_dump() -> str:
    """Every column of every vault table (and the audit log), as PostgreSQL renders it (bytea as hex)."""
    tables = [m._meta.db_table for m in apps.get_app_config("vault").get_models()] + [AuditEvent._meta.db_table]
    out = []
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f'SELECT t::text FROM "{table}" t')  # noqa: S608 - our own table names
            out.extend(row[0] for row in cursor.fetchall())
    return "\n".join(out)


def test_a_canary_never_reaches_the_database_logs_reprs_or_errors(alice, bob, worker_keys, caplog):
    canary = "CanaryQ7" * 4
    fields = {"api_key": canary + "a1b2", "api_secret": canary, "passphrase": canary, "private_key": canary}
    caplog.set_level(logging.DEBUG)
    credential = credential_store(owner=alice, exchange="kraken", fields=fields, label="label")
    opened = credential_open(credential=credential, purpose="engine step", actor="engine")
    assert revealed(opened) == fields
    texts = [repr(opened), str(opened), repr(credential), str(credential), repr(list(SealedField.objects.all())),
             repr(list(DecryptionRecord.objects.all())), repr(credential_masked(credential))]
    # Errors: a moved value, and the web role.
    SealedField.objects.filter(credential=credential, name="api_key").update(sealed=_sealed(credential, "api_secret"))
    with pytest.raises(CredentialUnreadable) as moved:
        credential_open(credential=credential, purpose="p", actor="a")
    texts += [str(moved.value), repr(moved.value)]
    worker_keys.VAULT_PRIVATE_KEYS = ""
    with pytest.raises(VaultLocked) as locked:
        credential_open(credential=credential, purpose="p", actor="a")
    texts.append(str(locked.value))
    dump = _vault_dump()
    assert str(credential.pk) in dump  # the dump did read the rows
    hex_canary = canary.encode().hex()
    for haystack in [dump, caplog.text, *texts]:
        assert canary not in haystack and hex_canary not in haystack
    # The private key text is nowhere either.
    private_b64 = PAIR1[1].split(":")[1]
    for haystack in [dump, caplog.text, *texts]:
        assert private_b64 not in haystack

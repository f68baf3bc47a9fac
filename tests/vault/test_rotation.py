"""Rotation re-seals under a new pair while the platform runs (SECURITY.md T12)."""

from __future__ import annotations

import random
import threading

import pytest
from django.db import connection

from sequence.vault.models import DecryptionRecord, SealedField
from sequence.vault.selectors import vault_status
from sequence.vault.services import (
    CredentialUnreadable,
    credential_destroy,
    credential_open,
    credential_store,
    vault_rotate,
)
from tests.support.eventually import eventually
from tests.vault.conftest import PAIR1, PAIR2


def fields_for(i: int) -> dict[str, str]:
    return {"api_key": f"key-{i:04d}-xxxxabcd", "api_secret": f"secret-{i}", "passphrase": f"phrase-{i}"}


def open_all(credentials) -> dict:
    return {c.pk: {k: v.reveal() for k, v in credential_open(credential=c, purpose="check", actor="test").items()}
            for c in credentials}


@pytest.mark.django_db
def test_rotate_then_drop_the_old_private_key(alice, settings):
    settings.VAULT_PUBLIC_KEY, settings.VAULT_PRIVATE_KEYS = PAIR1
    creds = [credential_store(owner=alice, exchange="bybit", fields=fields_for(i)) for i in range(5)]
    gone = credential_store(owner=alice, exchange="bybit", fields=fields_for(99))
    credential_destroy(credential=gone, reason="test")
    # New pair: the web gets the new public key, workers hold both private keys (new first).
    settings.VAULT_PUBLIC_KEY, settings.VAULT_PRIVATE_KEYS = PAIR2[0], f"{PAIR2[1]},{PAIR1[1]}"
    newer = credential_store(owner=alice, exchange="bybit", fields=fields_for(5))  # sealed to k2 already
    assert vault_status()["sealed_values_per_kid"] == {"k1": 15, "k2": 3}
    assert vault_status()["stale_values"] == 15

    first = vault_rotate(limit=2)
    assert (first.credentials, first.fields, first.failed) == (2, 6, [])
    report = vault_rotate()
    assert (report.credentials, report.fields, report.current_kid) == (3, 9, "k2")
    assert str(report) == "re-sealed 9 field(s) of 3 credential(s) under kid k2"
    again = vault_rotate()  # idempotent
    assert (again.credentials, again.fields) == (0, 0)
    assert set(SealedField.objects.values_list("kid", flat=True)) == {"k2"}
    assert DecryptionRecord.objects.filter(purpose="re-seal under kid k2").count() == 5

    settings.VAULT_PRIVATE_KEYS = PAIR2[1]  # the old private key is dropped
    expected = {c.pk: fields_for(i) for i, c in enumerate([*creds, newer])}
    assert open_all([*creds, newer]) == expected


@pytest.mark.django_db
def test_a_value_that_does_not_open_is_reported_not_lost(alice, settings):
    settings.VAULT_PUBLIC_KEY, settings.VAULT_PRIVATE_KEYS = PAIR1
    good = credential_store(owner=alice, exchange="okx", fields=fields_for(1))
    bad = credential_store(owner=alice, exchange="okx", fields=fields_for(2))
    moved = SealedField.objects.get(credential=good, name="api_secret").sealed
    SealedField.objects.filter(credential=bad, name="api_secret").update(sealed=moved)
    settings.VAULT_PUBLIC_KEY, settings.VAULT_PRIVATE_KEYS = PAIR2[0], f"{PAIR2[1]},{PAIR1[1]}"
    report = vault_rotate()
    assert report.failed == [str(bad.pk)] and report.credentials == 1
    assert set(SealedField.objects.filter(credential=bad).values_list("kid", flat=True)) == {"k1"}  # untouched
    with pytest.raises(CredentialUnreadable):
        credential_open(credential=bad, purpose="p", actor="a")


@pytest.mark.django_db(transaction=True)
def test_readers_see_consistent_values_during_rotation(make_user, settings):
    settings.VAULT_PUBLIC_KEY, settings.VAULT_PRIVATE_KEYS = PAIR1
    owner = make_user("rotation@example.com")
    creds = [credential_store(owner=owner, exchange="okx", fields=fields_for(i)) for i in range(30)]
    expected = {c.pk: fields_for(i) for i, c in enumerate(creds)}
    settings.VAULT_PUBLIC_KEY, settings.VAULT_PRIVATE_KEYS = PAIR2[0], f"{PAIR2[1]},{PAIR1[1]}"
    stop, problems, reads, mixed = threading.Event(), [], [0], []

    def reader():
        rng = random.Random(1)
        try:
            while not stop.is_set():
                credential = rng.choice(creds)
                try:
                    got = {k: v.reveal() for k, v in
                           credential_open(credential=credential, purpose="read", actor="reader").items()}
                    if got != expected[credential.pk]:
                        problems.append(f"{credential.pk}: wrong values")
                    kids = set(SealedField.objects.filter(credential=credential).values_list("kid", flat=True))
                    if len(kids) != 1:
                        mixed.append(kids)
                    reads[0] += 1
                except Exception as exc:  # any failure is a finding
                    problems.append(f"{type(exc).__name__}: {exc}")
        finally:
            connection.close()

    threads = [threading.Thread(target=reader) for _ in range(2)]
    for t in threads:
        t.start()
    try:
        # readers are running before rotation starts
        eventually(lambda: reads[0] >= 3 or problems, timeout=30, interval=0.005,
                   what="the readers' first reads")
        before = reads[0]
        report = vault_rotate()
        during = reads[0] - before
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=30)
    assert report.credentials == 30 and not report.failed
    assert problems == [] and mixed == []
    assert during > 0, "no read overlapped the rotation"
    settings.VAULT_PRIVATE_KEYS = PAIR2[1]
    assert open_all(creds) == expected

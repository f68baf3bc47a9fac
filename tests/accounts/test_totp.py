"""Authenticator app: setup, sign-in with it, replay, recovery codes, sealed seed."""

from __future__ import annotations

from datetime import timedelta

import pyotp
import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from sequence.accounts import totp
from sequence.accounts.models import RecoveryCode, SigninChallenge, User
from sequence.notifications.models import OutboundEmail
from tests.accounts.helpers import enable_totp, post_password, signed_in

pytestmark = pytest.mark.django_db


def test_enable_then_sign_in_with_the_app(client, alice):
    signed_in(client, alice)
    secret, _ = enable_totp(client, alice)
    alice.refresh_from_db()
    assert alice.totp_enabled
    assert OutboundEmail.objects.filter(kind="totp_enabled", user=alice).exists()
    client.post("/signout/")

    # a later time step, so the code differs from the one used at setup
    with time_machine.travel(timezone.now() + timedelta(seconds=60)):
        emails_before = OutboundEmail.objects.filter(kind="signin_code").count()
        post_password(client, "alice@example.com")
        assert b"authenticator code" in client.get("/signin/code/").content
        assert OutboundEmail.objects.filter(kind="signin_code").count() == emails_before  # no email code
        code = pyotp.TOTP(secret).now()
        response = client.post("/signin/code/", {"code": code})
        assert response.url == "/dashboard/"
        client.post("/signout/")
        # the same code cannot be replayed within its window
        post_password(client, "alice@example.com")
        response = client.post("/signin/code/", {"code": code})
        assert response.status_code == 200 and b"not right" in response.content


def test_recovery_code_works_once(client, alice):
    signed_in(client, alice)
    _, codes = enable_totp(client, alice)
    client.post("/signout/")
    post_password(client, "alice@example.com")
    assert client.post("/signin/code/", {"code": codes[0].upper()}).url == "/dashboard/"
    client.post("/signout/")
    post_password(client, "alice@example.com")
    assert client.post("/signin/code/", {"code": codes[0]}).status_code == 200
    assert RecoveryCode.objects.filter(user=alice, used_at__isnull=False).count() == 1
    assert all(codes[0].replace("-", "") not in r.code_hash for r in RecoveryCode.objects.all())


def test_wrong_setup_code_leaves_totp_off(client, alice):
    signed_in(client, alice)
    client.get("/account/authenticator/")
    response = client.post("/account/authenticator/", {"code": "000000"})
    assert b"does not match" in response.content
    alice.refresh_from_db()
    assert not alice.totp_enabled


def test_seed_is_sealed_at_rest_and_bound_to_its_row(client, alice, bob):
    signed_in(client, alice)
    secret, _ = enable_totp(client, alice)
    with connection.cursor() as cur:
        cur.execute("SELECT totp_seed_sealed FROM accounts_user WHERE id = %s", [alice.pk])
        raw = bytes(cur.fetchone()[0])
    assert secret.encode() not in raw
    # moved to another row, it does not open
    User.objects.filter(pk=bob.pk).update(totp_seed_sealed=raw, totp_confirmed_at=timezone.now())
    bob.refresh_from_db()
    from sequence.core.aead import DecryptionError

    with pytest.raises(DecryptionError):
        totp.totp_verify(user=bob, code=pyotp.TOTP(secret).now())


def test_totp_tries_are_limited_like_email_codes(client, alice):
    signed_in(client, alice)
    enable_totp(client, alice)
    client.post("/signout/")
    post_password(client, "alice@example.com")
    for _ in range(5):
        client.post("/signin/code/", {"code": "123456"})
    challenge = SigninChallenge.objects.filter(user=alice).latest("created_at")
    assert challenge.attempts == 5
    response = client.post("/signin/code/", {"code": "123456"})
    assert b"expired or was tried too many times" in response.content


def test_operator_with_app_reaches_operator_pages_outside_demo(client, operator, settings):
    settings.DEMO = True  # the demo operator may start with the email code
    signed_in(client, operator)
    enable_totp(client, operator)
    settings.DEMO = False
    response = client.get("/ops/demo/mailbox/")
    assert response.status_code == 404  # allowed past the operator check; the page is demo-only

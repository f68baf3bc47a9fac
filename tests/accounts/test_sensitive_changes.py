"""Issue 14 item 6: turning the authenticator app off, setting up a new one and changing the
anti-phishing code each need a second factor from the last 15 minutes and send a notice; an
operator without an app outside the demo finishes signing in only by setting one up."""

from __future__ import annotations

from datetime import timedelta

import pyotp
import pytest
import time_machine
from django.utils import timezone

from sequence.accounts.models import User
from sequence.notifications.models import OutboundEmail
from sequence.ops.models import AuditEvent
from tests.accounts.helpers import enable_totp, signed_in

pytestmark = pytest.mark.django_db

STALE = timedelta(minutes=16)  # past the 15 fresh minutes, within the 30 idle ones


def notices(user, kind: str) -> int:
    return OutboundEmail.objects.filter(user=user, kind=kind).count()


def confirm_with_app(client, secret: str):
    """The re-check with the app (a later time step than any code used before)."""
    assert client.post("/signin/confirm/").url == "/signin/code/"
    return client.post("/signin/code/", {"code": pyotp.TOTP(secret).now()})


def test_turning_the_app_off_needs_a_fresh_factor_and_sends_a_notice(client, alice):
    signed_in(client, alice)
    secret, _ = enable_totp(client, alice)
    with time_machine.travel(timezone.now() + STALE):
        response = client.post("/account/authenticator/off/")
        assert response.status_code == 302 and response.url == "/signin/confirm/"
        assert User.objects.get(pk=alice.pk).totp_enabled  # a session alone changes nothing
        assert notices(alice, "totp_disabled") == 0

        assert confirm_with_app(client, secret).url == "/account/"  # back to the page, not replayed
        assert User.objects.get(pk=alice.pk).totp_enabled
        assert client.post("/account/authenticator/off/").url == "/account/"
    assert not User.objects.get(pk=alice.pk).totp_enabled
    assert notices(alice, "totp_disabled") == 1
    assert AuditEvent.objects.filter(action="account.totp_disabled", actor=alice).exists()


def test_a_new_app_needs_a_fresh_factor_and_sends_a_notice(client, alice):
    signed_in(client, alice)
    secret, _ = enable_totp(client, alice)
    with time_machine.travel(timezone.now() + STALE):
        assert client.get("/account/authenticator/").url == "/signin/confirm/"
        assert client.post("/account/authenticator/", {"code": "123456"}).url == "/signin/confirm/"
        assert confirm_with_app(client, secret).url == "/account/authenticator/"
        new_secret, _ = enable_totp(client, alice)
    assert new_secret != secret
    assert notices(alice, "totp_replaced") == 1 and notices(alice, "totp_enabled") == 1
    assert AuditEvent.objects.filter(action="account.totp_replaced", actor=alice).exists()


def test_changing_the_anti_phishing_code_needs_a_fresh_factor(client, alice):
    from sequence.accounts.services import signin_code_prepare_email

    signed_in(client, alice)
    with time_machine.travel(timezone.now() + STALE):
        response = client.post("/account/", {"anti_phishing_code": "seagull-77"})
        assert response.url == "/signin/confirm/"
        assert User.objects.get(pk=alice.pk).anti_phishing_code == "bluefalcon"
        assert notices(alice, "anti_phishing_changed") == 0

        client.post("/signin/confirm/")  # an emailed code this time
        email = OutboundEmail.objects.filter(user=alice, kind="signin_code").latest("pk")
        assert client.post("/signin/code/", {"code": signin_code_prepare_email(email)["code"]}).url == "/account/"
        client.post("/account/", {"anti_phishing_code": "seagull-77"})
    assert User.objects.get(pk=alice.pk).anti_phishing_code == "seagull-77"
    assert notices(alice, "anti_phishing_changed") == 1


def test_the_operator_finishes_signing_in_by_setting_up_an_app(client, operator, settings):
    settings.DEMO = False
    assert signed_in(client, operator).url == "/account/authenticator/"
    assert "_auth_user_id" not in client.session
    enable_totp(client, operator)  # the recovery codes page: now signed in
    assert client.session["_auth_user_id"] == str(operator.pk)
    assert client.get("/account/").status_code == 200
    assert client.get("/ops/demo/mailbox/").status_code == 404  # past the operator check; demo-only page
    assert AuditEvent.objects.filter(action="account.totp_enabled", actor=operator).exists()


def test_the_enrolment_step_does_not_last(client, operator, settings):
    settings.DEMO = False
    signed_in(client, operator)
    with time_machine.travel(timezone.now() + STALE):
        assert client.get("/account/authenticator/").url.startswith("/signin/")


def test_a_client_made_operator_while_signed_in_is_signed_out(client, alice, settings):
    settings.DEMO = False
    signed_in(client, alice)
    assert client.get("/account/").status_code == 200
    User.objects.filter(pk=alice.pk).update(is_staff=True)
    assert client.get("/account/").url == "/signin/"
    assert "_auth_user_id" not in client.session


def test_an_operator_cannot_turn_the_app_off_outside_the_demo(client, operator, settings):
    settings.DEMO = False
    signed_in(client, operator)
    enable_totp(client, operator)
    client.post("/account/authenticator/off/")
    assert User.objects.get(pk=operator.pk).totp_enabled
    assert notices(operator, "totp_disabled") == 0

"""Password lockout, CSRF, session lifetime, operators and the anti-phishing code, over HTTP."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from sequence.accounts.models import SigninThrottle
from sequence.accounts.throttle import email_key
from sequence.notifications.models import OutboundEmail
from sequence.ops.models import AuditEvent
from tests.accounts.helpers import post_password, signed_in

pytestmark = pytest.mark.django_db


def test_home_page_has_sign_in(client):
    page = client.get("/")
    assert page.status_code == 200 and b"Sign in" in page.content
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]


def test_wrong_password_is_refused_without_saying_which_part(client, alice):
    response = post_password(client, "alice@example.com", "not the password at all")
    assert response.status_code == 200
    assert b"do not match an account" in response.content
    unknown = post_password(client, "nobody@example.com", "not the password at all")
    assert b"do not match an account" in unknown.content


def test_password_guessing_locks_the_account_for_that_address(client, alice):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        for _ in range(5):
            post_password(client, "alice@example.com", "guess guess guess")
        # past the short per-account delay (1 s after 5 failures), the address stays locked
        traveller.shift(timedelta(seconds=5))
        locked = post_password(client, "alice@example.com")  # even the right password now
        assert locked.status_code == 429
        assert b"from your address is paused for 15 minutes" in locked.content
        assert not OutboundEmail.objects.filter(kind="signin_code").exists()
        # another address is not locked out by the attacker's guesses
        elsewhere = Client(REMOTE_ADDR="10.9.9.9")
        assert post_password(elsewhere, "alice@example.com").status_code == 302


def test_post_without_csrf_token_is_rejected(alice):
    client = Client(enforce_csrf_checks=True)
    assert post_password(client, "alice@example.com").status_code == 403


def test_sign_in_needs_the_second_factor(client, alice):
    post_password(client, "alice@example.com")
    assert client.get("/dashboard/").status_code == 302  # password alone is not enough


def test_code_page_without_password_step_goes_back_to_sign_in(client):
    assert client.get("/signin/code/").url == "/signin/"


def test_idle_session_expires_after_30_minutes(client, alice):
    signed_in(client, alice)
    assert client.get("/dashboard/").status_code == 200
    with time_machine.travel(timezone.now() + timedelta(minutes=31)):
        response = client.get("/dashboard/")
    assert response.status_code == 302 and response.url == "/signin/"


def test_active_session_ends_after_12_hours(client, alice):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        signed_in(client, alice)
        for step in range(1, 30):  # noqa: B007 - read after the loop; active every 29 minutes, never idle
            traveller.shift(timedelta(minutes=29))
            last = client.get("/dashboard/")
            if last.status_code != 200:
                break
    assert last.status_code == 302
    assert step == 25  # 24 x 29 min = 11.6 h still in; 25 x 29 min = 12.08 h out


def test_sign_out(client, alice):
    signed_in(client, alice)
    client.post("/signout/")
    assert client.get("/dashboard/").status_code == 302


def test_anti_phishing_code_is_shown_and_changeable(client, alice):
    signed_in(client, alice)
    assert b"bluefalcon" in client.get("/dashboard/").content
    response = client.post("/account/", {"anti_phishing_code": "abc"})
    assert b"between 4 and 20 characters" in response.content
    response = client.post("/account/", {"anti_phishing_code": "x" * 21})
    assert response.status_code == 200
    client.post("/account/", {"anti_phishing_code": "seagull-77"})
    assert b"seagull-77" in client.get("/dashboard/").content
    assert OutboundEmail.objects.filter(kind="anti_phishing_changed", user=alice).exists()
    assert AuditEvent.objects.filter(action="account.anti_phishing_code_set", actor=alice).exists()


def test_dashboard_renders_at_phone_width_markup(client, alice):
    signed_in(client, alice)
    page = client.get("/dashboard/").content
    assert b'name="viewport"' in page


def test_operator_without_authenticator_cannot_sign_in_outside_the_demo(client, operator, settings):
    """Issue 14 item 6: password and email code lead only to setting up an app, signed out."""
    settings.DEMO = False
    response = signed_in(client, operator)
    assert response.url == "/account/authenticator/"
    assert "_auth_user_id" not in client.session
    for path in ("/dashboard/", "/account/", "/submit/", "/ops/demo/mailbox/"):
        page = client.get(path)
        assert page.status_code == 302 and page.url.startswith("/signin/"), path
    settings.DEMO = True  # not even once the demo is switched on: nobody is signed in
    assert client.get("/ops/demo/mailbox/").status_code == 302


def test_the_demo_operator_signs_in_with_the_email_code(client, operator, settings):
    settings.DEMO = True
    assert signed_in(client, operator).url == "/ops/"  # an operator lands on the console
    assert client.get("/ops/demo/mailbox/").status_code == 200
    settings.DEMO = False  # the same session outside the demo ends at once
    response = client.get("/account/")
    assert response.status_code == 302 and response.url == "/signin/"
    assert client.get("/account/").url.startswith("/signin/")


def test_clients_cannot_open_operator_pages(client, alice, settings):
    settings.DEMO = True
    signed_in(client, alice)
    assert client.get("/ops/demo/mailbox/").status_code == 404  # the console is not confirmed to clients


def from_address(n: int) -> Client:
    return Client(REMOTE_ADDR=f"10.{n // 60000}.{n // 250 % 240}.{n % 250 + 1}")


def test_guessing_from_many_addresses_meets_doubling_delays(alice):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        for n in range(5):  # free tries, each from another address (axes counts per address)
            assert b"do not match" in post_password(from_address(n), "alice@example.com", "guess").content
        waited = post_password(from_address(99), "alice@example.com")  # even the right password
        assert waited.status_code == 429 and b"wait 1 second" in waited.content
        traveller.shift(timedelta(seconds=2))
        post_password(from_address(6), "alice@example.com", "guess")  # 6th failure: 2 s
        traveller.shift(timedelta(seconds=1))
        assert b"wait 1 second" in post_password(from_address(7), "alice@example.com").content
        traveller.shift(timedelta(seconds=2))
        assert post_password(from_address(8), "alice@example.com").url == "/signin/code/"
    # the right password cleared the count
    assert not SigninThrottle.objects.filter(email_key=email_key("alice@example.com")).exists()


def test_a_hundred_failures_close_the_account_until_a_password_reset(alice, settings):
    settings.SIGNIN_MAX_DELAY_SECONDS = 1
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        for n in range(100):
            traveller.shift(timedelta(seconds=2))
            post_password(from_address(n), "alice@example.com", "guess")
        traveller.shift(timedelta(days=30))
        closed = post_password(from_address(500), "alice@example.com")
    assert closed.status_code == 429 and b"until the password is reset" in closed.content
    assert AuditEvent.objects.filter(action="signin.account_locked").count() == 1
    from sequence.accounts.services import password_changed

    password_changed(user=alice)  # what completing the emailed reset does
    assert post_password(from_address(501), "alice@example.com").url == "/signin/code/"


def test_known_and_unknown_emails_meet_the_same_limits(alice):
    """Issue 14 item 5: the delays after 5 failures, and the lockout per address, answer a known
    email exactly as an unknown one (status and page), so they reveal no account."""
    def answers(email: str) -> list[tuple[int, bytes]]:
        seen = []
        with time_machine.travel(timezone.now(), tick=False) as traveller:
            for n in range(12):
                traveller.shift(timedelta(seconds=3 if n % 3 else 0))
                response = post_password(from_address(n % 2), email, "guess")
                body = response.content.replace(email.encode(), b"EMAIL")
                seen.append((response.status_code, re.sub(rb'value="[^"]{20,}"', b"", body)))
        return seen

    known, unknown = answers("alice@example.com"), answers("nobody@example.com")
    assert [status for status, _ in known] == [status for status, _ in unknown]
    assert 429 in {status for status, _ in known}  # the limits did apply
    assert known == unknown


def test_a_sign_in_from_a_new_place_is_notified(alice):
    first = Client(REMOTE_ADDR="10.1.1.1", HTTP_USER_AGENT="Firefox/140")
    signed_in(first, alice)  # the very first sign-in: nothing to compare with, no notice
    assert not OutboundEmail.objects.filter(kind="new_signin").exists()
    again = Client(REMOTE_ADDR="10.1.1.1", HTTP_USER_AGENT="Firefox/140")
    signed_in(again, alice)  # the same place again
    assert not OutboundEmail.objects.filter(kind="new_signin").exists()
    elsewhere = Client(REMOTE_ADDR="10.2.2.2", HTTP_USER_AGENT="Chrome/150")
    signed_in(elsewhere, alice)
    notice = OutboundEmail.objects.get(kind="new_signin", user=alice)
    assert notice.context["ip"] == "10.2.2.2" and notice.context["agent"] == "Chrome/150"

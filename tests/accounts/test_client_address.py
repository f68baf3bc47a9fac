"""Issue 14 item 4: behind our proxies the client's address comes from X-Forwarded-For (as many
places from the right as TRUSTED_PROXY_COUNT says), for lockouts, notices and audit rows; and
the lockouts stop the guessing address, not the account's owner."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from sequence.notifications.models import OutboundEmail
from sequence.ops.models import AuditEvent
from sequence.web.middleware import client_address
from tests.accounts.helpers import post_password, signed_in

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.2"


def behind_proxy(client_ip: str, forged: str = "") -> Client:
    """A browser at client_ip, through one proxy that appends what it saw (nginx's
    $proxy_add_x_forwarded_for); `forged` is what the browser itself put in the header."""
    chain = f"{forged}, {client_ip}" if forged else client_ip
    return Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=chain)


@pytest.mark.parametrize(("remote", "forwarded", "proxies", "expected"), [
    ("10.0.0.2", "", 0, "10.0.0.2"),
    ("10.0.0.2", "203.0.113.9", 0, "10.0.0.2"),  # no proxy trusted: the header is the client's word
    ("10.0.0.2", "203.0.113.9", 1, "203.0.113.9"),
    ("10.0.0.2", "1.2.3.4, 203.0.113.9", 1, "203.0.113.9"),  # the left entry was forged
    ("10.0.0.3", "1.2.3.4, 203.0.113.9, 10.0.0.2", 2, "203.0.113.9"),  # two proxies
    ("10.0.0.2", "203.0.113.9", 2, "10.0.0.2"),  # shorter than expected: the socket's
    ("10.0.0.2", "not-an-address", 1, "10.0.0.2"),
    ("10.0.0.2", " 2001:db8::1 ", 1, "2001:db8::1"),
])
def test_the_client_address(remote, forwarded, proxies, expected):
    assert client_address(remote, forwarded, proxies) == expected


def test_guesses_through_the_proxy_lock_only_the_guessing_address(alice, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        for n in range(5):
            # a forged left part changes nothing: the proxy's entry decides
            post_password(behind_proxy("198.51.100.7", forged=f"192.0.2.{n}"), "alice@example.com", "guess")
        traveller.shift(timedelta(seconds=5))  # past the short per-account delay
        attacker = post_password(behind_proxy("198.51.100.7"), "alice@example.com")
        assert attacker.status_code == 429
        assert b"from your address is paused" in attacker.content
        owner = post_password(behind_proxy("203.0.113.20"), "alice@example.com")  # the same proxy
        assert owner.status_code == 302 and owner.url == "/signin/code/"


def test_without_trusted_proxies_a_forged_header_escapes_no_lockout(alice, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        for n in range(5):
            post_password(Client(REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}"),
                          "alice@example.com", "guess")
        traveller.shift(timedelta(seconds=5))
        again = Client(REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR="192.0.2.99")
        assert post_password(again, "alice@example.com").status_code == 429


def test_notices_and_audit_rows_carry_the_client_address(alice, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    signed_in(behind_proxy("203.0.113.20"), alice)
    signed_in(behind_proxy("198.51.100.44"), alice)
    notice = OutboundEmail.objects.get(kind="new_signin", user=alice)
    assert notice.context["ip"] == "198.51.100.44"
    addresses = set(AuditEvent.objects.filter(action="signin.completed").values_list("ip_address", flat=True))
    assert addresses == {"203.0.113.20", "198.51.100.44"}
    assert not AuditEvent.objects.filter(ip_address=PROXY).exists()

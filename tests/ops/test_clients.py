"""Issue 11 item 4: clients list and page; messages, dead-letter retries, invite grants (C4)."""

from __future__ import annotations

import pytest

from sequence.catalog.models import InviteGrant
from sequence.catalog.selectors import user_is_invited
from sequence.notifications.models import OutboundEmail
from sequence.notifications.services import email_enqueue, render_email
from sequence.ops.models import AuditEvent
from tests.onboarding.helpers import catalog
from tests.ops.helpers import submission

pytestmark = pytest.mark.django_db


def test_search_finds_clients_by_email_and_never_lists_operators(ops, alice, bob):
    page = ops.get("/ops/clients/?q=ALICE").content.decode()
    assert "alice@example.com" in page and "bob@example.com" not in page
    page = ops.get("/ops/clients/").content.decode()
    assert "bob@example.com" in page and "operator@example.com</a>" not in page


def test_the_client_page_lists_bots_submissions_emails_and_trail(ops, alice):
    sub = submission(alice, catalog()["usdt-perp-hedge@bybit"])
    email_enqueue(kind="keys_received", user=alice, dedup_key="x", context={"strategy": "S"})
    OutboundEmail.objects.filter(kind="keys_received").update(status="dead", last_error="SMTP 554")
    html = ops.get(f"/ops/clients/{alice.pk}/").content.decode()
    assert f"/ops/bots/{sub.bot_id}/" in html and "USDT Perpetual Bidirectional" in html
    assert "keys_received" in html and "SMTP 554" in html and ">Retry<" in html
    assert "account.totp" not in html  # alice's trail has no operator's events
    assert ops.get("/ops/clients/999999/").status_code == 404


def test_a_dead_letter_email_is_retried_and_audited(ops, alice, operator):
    email = email_enqueue(kind="keys_received", user=alice, dedup_key="y", context={"strategy": "S"})
    OutboundEmail.objects.filter(pk=email.pk).update(status="dead", attempts=10)
    ops.post(f"/ops/clients/{alice.pk}/retry/", {"email": str(email.pk)})
    email.refresh_from_db()
    assert email.status == "queued" and email.attempts == 0
    assert AuditEvent.objects.get(action="ops.email_retried").actor == operator
    again = ops.post(f"/ops/clients/{alice.pk}/retry/", {"email": str(email.pk)}, follow=True)
    assert "Only an email that failed for good can be retried." in again.content.decode()


def test_a_message_reaches_the_client_from_the_trading_team_with_their_code(ops, alice, operator):
    ops.post(f"/ops/clients/{alice.pk}/message/", {"subject": "About your <b>bot</b>", "message": "Hello & welcome"})
    email = OutboundEmail.objects.get(kind="ops_message")
    subject, text, html = render_email(email, {})
    assert subject == "About your <b>bot</b>"
    assert "Hello & welcome" in text and "bluefalcon" in text and "The trading team" in text
    assert "Hello &amp; welcome" in html and "bluefalcon" in html and "from the trading team" in html
    assert AuditEvent.objects.get(action="ops.client_messaged").actor == operator


def test_invites_are_granted_and_revoked_with_a_reason(ops, alice, operator):
    eth = catalog()["eth-accumulator@bybit"].strategy
    assert not user_is_invited(user=alice, strategy=eth)
    ops.post(f"/ops/clients/{alice.pk}/grant/", {"strategy": str(eth.pk), "reason": "Known client since 2021"})
    assert user_is_invited(user=alice, strategy=eth)
    assert InviteGrant.objects.get(user=alice).granted_by == operator
    granted = AuditEvent.objects.get(action="catalog.invite_granted")
    assert granted.actor == operator and granted.data["reason"] == "Known client since 2021"
    no_reason = ops.post(f"/ops/clients/{alice.pk}/revoke/", {"strategy": str(eth.pk), "reason": ""}, follow=True)
    assert "Write the reason first." in no_reason.content.decode() and user_is_invited(user=alice, strategy=eth)
    ops.post(f"/ops/clients/{alice.pk}/revoke/", {"strategy": str(eth.pk), "reason": "Asked to leave"})
    assert not user_is_invited(user=alice, strategy=eth)
    assert AuditEvent.objects.get(action="catalog.invite_revoked").data["reason"] == "Asked to leave"

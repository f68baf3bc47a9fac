"""Issue 11 item 2 (H1): the submission queue: checks, flags, filters, audited actions."""

from __future__ import annotations

import pytest

from sequence.notifications.models import OutboundEmail
from sequence.onboarding.models import Submission
from sequence.ops.models import AuditEvent, FlagResolution
from sequence.trading.models import Bot
from tests.onboarding.helpers import catalog
from tests.ops.helpers import sign_in, submission, with_app

pytestmark = pytest.mark.django_db


def rows_of(page) -> str:
    return page.content.decode()


def test_each_submission_shows_its_five_checks_and_its_flags(ops, alice):
    offerings = catalog()
    ok = submission(alice, offerings["usdt-perp-hedge@bybit"])
    bad = submission(alice, offerings["usdt-perp-hedge@okx"], status="needs_attention",
                     problems=("withdraw_permission", "insufficient_funds"))
    kraken = submission(alice, offerings["kraken-spot@kraken"], status="verifying", checked=False,
                        flags=("kraken_contact_support",))
    html = rows_of(ops.get("/ops/submissions/"))
    for s in (ok, bad, kraken):
        assert f'data-submission="{s.pk}"' in html
    row = html.split(f'data-submission="{bad.pk}"')[1].split("</tr>")[0]
    assert 'data-check="works">Key works: ok' in row and 'data-check="trade_only">Trade-only: failed' in row
    assert "IP whitelist: ok" in row and "Balance: failed" in row and "Expiry: ok" in row
    assert "Check again" in row
    row = html.split(f'data-submission="{kraken.pk}"')[1].split("</tr>")[0]
    assert row.count(": not checked") == 5 and "Kraken: contact the client" in row and "Resolve" in row
    row = html.split(f'data-submission="{ok.pk}"')[1].split("</tr>")[0]
    assert ">Launch<" in row and "Check again" not in row


def test_filters_by_status_exchange_and_flag(ops, alice):
    offerings = catalog()
    a = submission(alice, offerings["usdt-perp-hedge@bybit"])
    b = submission(alice, offerings["usdt-perp-hedge@okx"], status="needs_attention", problems=("key_invalid",))
    c = submission(alice, offerings["kraken-spot@kraken"], status="verifying", flags=("kraken_contact_support",))

    def shown(query):
        html = rows_of(ops.get("/ops/submissions/?" + query))
        return {s.pk for s in (a, b, c) if f'data-submission="{s.pk}"' in html}

    assert shown("") == {a.pk, b.pk, c.pk}
    assert shown("status=needs_attention") == {b.pk}
    assert shown("exchange=okx") == {b.pk}
    assert shown("flag=kraken_contact_support") == {c.pk}
    assert shown("status=verified&exchange=okx") == set()
    assert shown("status=<script>&exchange=nope") == {a.pk, b.pk, c.pk}  # unknown values filter nothing


def test_the_queue_reads_a_fixed_number_of_queries(ops, alice, bob, django_assert_max_num_queries):
    offerings = catalog()
    submission(alice, offerings["usdt-perp-hedge@bybit"], flags=("kraken_contact_support",))
    with django_assert_max_num_queries(12) as few:
        assert ops.get("/ops/submissions/").status_code == 200
    for user in (alice, bob):
        for key in ("usdt-perp-hedge@bybit", "usdt-perp-hedge@okx", "kraken-spot@kraken"):
            submission(user, offerings[key], flags=("kraken_contact_support",))
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = ops.get("/ops/submissions/")
    assert rows_of(page).count("data-submission=") == 7


def test_resolving_a_flag_is_audited_with_the_note(ops, alice, operator):
    sub = submission(alice, catalog()["kraken-spot@kraken"], status="verifying", flags=("kraken_contact_support",))
    response = ops.post(f"/ops/submissions/{sub.pk}/resolve/", {"flag": "kraken_contact_support",
                                                                "note": "Called the client", "next": "/ops/submissions/?exchange=kraken"})
    assert response.url == "/ops/submissions/?exchange=kraken"
    assert FlagResolution.objects.get(submission=sub).resolved_by == operator
    event = AuditEvent.objects.get(action="ops.flag_resolved")
    assert event.actor == operator and event.data == {"flag": "kraken_contact_support", "note": "Called the client"}
    assert "resolved by operator@example.com: Called the client" in rows_of(ops.get("/ops/submissions/"))
    again = ops.post(f"/ops/submissions/{sub.pk}/resolve/", {"flag": "kraken_contact_support"}, follow=True)
    assert "already resolved" in rows_of(again)
    unknown = ops.post(f"/ops/submissions/{sub.pk}/resolve/", {"flag": "nope"}, follow=True)
    assert "no such flag" in rows_of(unknown)


def test_check_again_is_the_onboarding_service_with_the_operator_as_actor(ops, alice, operator):
    sub = submission(alice, catalog()["usdt-perp-hedge@bybit"], status="needs_attention", problems=("key_invalid",))
    ops.post(f"/ops/submissions/{sub.pk}/check/")
    assert Submission.objects.get(pk=sub.pk).status == "verifying"
    assert AuditEvent.objects.get(action="onboarding.recheck_requested").actor == operator
    refused = ops.post(f"/ops/submissions/{sub.pk}/check/", follow=True)  # verifying, not stuck
    assert "Check again works on a submission that needs attention" in rows_of(refused)


def test_launch_from_the_queue_comes_back_to_the_queue(ops, alice, operator):
    sub = submission(alice, catalog()["usdt-perp-hedge@bybit"])
    response = ops.post(f"/ops/bots/{sub.bot_id}/launch/", {"next": "/ops/submissions/?status=verified"})
    assert response.url == "/ops/submissions/?status=verified"
    assert AuditEvent.objects.get(action="bot.launch_requested").actor == operator
    # an off-site next is ignored
    assert ops.post(f"/ops/bots/{sub.bot_id}/pause/", {"next": "//evil.example/"}).url == f"/ops/bots/{sub.bot_id}/"


def test_asking_for_new_keys_sends_the_operators_text_from_the_trading_team(ops, alice, operator):
    sub = submission(alice, catalog()["usdt-perp-hedge@bybit"])
    ops.post(f"/ops/bots/{sub.bot_id}/keys/", {"message": "Your key lacks the IP whitelist."})
    email = OutboundEmail.objects.get(kind="ops_keys_requested")
    assert email.user == alice and email.context["message"] == "Your key lacks the IP whitelist."
    event = AuditEvent.objects.get(action="ops.keys_requested")
    assert event.actor == operator and event.target_id == str(sub.bot_id)
    empty = ops.post(f"/ops/bots/{sub.bot_id}/keys/", {"message": "  "}, follow=True)
    assert "Write the message to the client first." in rows_of(empty)
    assert Bot.objects.get(pk=sub.bot_id).status == "awaiting_launch"


def test_asking_for_new_keys_needs_a_fresh_second_factor(client, operator, alice, settings):
    settings.DEMO = False
    with_app(operator)
    sub = submission(alice, catalog()["usdt-perp-hedge@bybit"])
    sign_in(client, operator, factor_age=20 * 60)
    assert client.post(f"/ops/bots/{sub.bot_id}/keys/", {"message": "x"}).url == "/signin/confirm/"
    assert not OutboundEmail.objects.filter(kind="ops_keys_requested").exists()


def test_the_queue_comes_in_pages_of_fifty_newest_first_and_keeps_its_filters(ops, alice, monkeypatch):
    from sequence.ops import queue

    monkeypatch.setattr(queue, "PAGE_ROWS", 3)  # the rule, on few rows: a page, then the older ones
    offerings = catalog()
    made = [submission(alice, offerings["usdt-perp-hedge@bybit"]) for _ in range(4)]
    okx = submission(alice, offerings["usdt-perp-hedge@okx"])
    newest_first = [s.pk for s in sorted([*made, okx], key=lambda s: s.created_at, reverse=True)]

    def shown(html):
        return [pk for pk in newest_first if f'data-submission="{pk}"' in html]

    first = rows_of(ops.get("/ops/submissions/"))
    assert shown(first) == newest_first[:3]
    assert "page=2" in first and ">Older<" in first and ">Newer<" not in first
    second = rows_of(ops.get("/ops/submissions/?page=2"))
    assert shown(second) == newest_first[3:]
    assert ">Older<" not in second and "page=1" in second
    # a filter stays in the pager's links; a page that is no number is the first one
    filtered = rows_of(ops.get("/ops/submissions/?exchange=bybit"))
    assert len(shown(filtered)) == 3 and "exchange=bybit&amp;page=2" in filtered
    for bad in ("0", "-1", "x", "9" * 30):
        assert shown(rows_of(ops.get(f"/ops/submissions/?page={bad}"))) == newest_first[:3]
    assert shown(rows_of(ops.get("/ops/submissions/?page=50"))) == []

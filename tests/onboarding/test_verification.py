"""Verification against the simulated exchange, through a real worker and real SMTP."""

from __future__ import annotations

import pytest
from django.db import connection
from procrastinate.contrib.django.models import ProcrastinateJob

from sequence.onboarding.models import Submission
from sequence.trading.models import Bot
from sequence.vault.models import Credential
from tests.accounts.helpers import signed_in_via_email
from tests.onboarding.helpers import BYBIT_WITHDRAW, catalog, exchange_key, form
from tests.support.eventually import eventually
from tests.support.smtp import html_of, text_of

pytestmark = pytest.mark.django_db(transaction=True)


def wait_for_status(submission_id, states, timeout=30.0, worker=None) -> Submission:
    def reached():
        submission = Submission.objects.get(pk=submission_id)
        return submission if submission.status in states else None

    try:
        return eventually(reached, timeout=timeout, interval=0.2, what=f"submission in {states}")
    except AssertionError:
        status = Submission.objects.get(pk=submission_id).status
        log = worker.output()[-4000:] if worker else ""  # diagnostics, not an assertion
        raise AssertionError(f"submission stayed {status}; wanted {states}\n{log}") from None


@pytest.fixture
def offerings(transactional_db):
    return catalog()


@pytest.fixture
def client_in(client, alice, worker, smtp_sink):
    signed_in_via_email(client, alice, smtp_sink)
    return client


def submit(client, data) -> Submission:
    response = client.post("/submit/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    return Submission.objects.get(pk=response.url.rstrip("/").split("/")[-1])


def test_trade_only_bybit_key_is_verified_and_awaits_launch(client_in, alice, offerings, venue, smtp_sink):
    key = exchange_key(venue)
    submission = submit(client_in, form(alice, offerings["usdt-perp-hedge@bybit"], key))
    received = smtp_sink.to("alice@example.com", "Keys received")
    assert "bluefalcon" in text_of(received) and "bluefalcon" in html_of(received)
    assert key.api_key[-4:] in text_of(received) and key.secret not in text_of(received)

    done = wait_for_status(submission.pk, {"verified", "needs_attention"})
    assert done.status == "verified", done.verification
    bot = Bot.objects.get(pk=submission.bot_id)
    assert bot.status == "awaiting_launch" and bot.credential_id == submission.credential_id
    assert bot.key_expires_at is not None
    dashboard = client_in.get("/dashboard/").content.decode()
    assert "Awaiting launch" in dashboard and f"••••{key.api_key[-4:]}" in dashboard
    assert "day" in dashboard  # the expiry countdown
    assert key.secret not in dashboard and key.api_key not in dashboard


def test_okx_key_is_verified(client_in, alice, offerings, venue, worker):
    key = exchange_key(venue, exchange="okx")
    submission = submit(client_in, form(alice, offerings["usdt-perp-hedge@okx"], key))
    done = wait_for_status(submission.pk, {"verified", "needs_attention"}, worker=worker)
    assert done.status == "verified", done.verification


def test_withdraw_permission_is_refused_with_the_reason(client_in, alice, offerings, venue, smtp_sink):
    key = exchange_key(venue, permissions=BYBIT_WITHDRAW)
    submission = submit(client_in, form(alice, offerings["usdt-perp-hedge@bybit"], key))
    done = wait_for_status(submission.pk, {"verified", "needs_attention"})
    assert done.status == "needs_attention"
    assert "withdraw_permission" in [p["code"] for p in done.problems]
    issue = smtp_sink.to("alice@example.com", "Action needed")
    assert "from the trading team" in html_of(issue) and "Withdraw" in text_of(issue)
    assert "bluefalcon" in text_of(issue)
    assert "Needs attention" in client_in.get("/dashboard/").content.decode()


def test_insufficient_funds_then_check_again_after_funding(client_in, alice, offerings, venue, smtp_sink):
    key = exchange_key(venue, amount="120")
    submission = submit(client_in, form(alice, offerings["usdt-perp-hedge@bybit"], key))
    done = wait_for_status(submission.pk, {"verified", "needs_attention"})
    assert done.status == "needs_attention"
    message = " ".join(p["message"] for p in done.problems)
    assert "Insufficient funds: 120 USDT" in message and "1000 USDT required" in message
    assert "Insufficient funds" in text_of(smtp_sink.to("alice@example.com", "Action needed"))

    venue.admin.fund(key.account_id, "USDT", "2000", wallet="trading")
    client_in.post(f"/submissions/{submission.pk}/check-again/")
    done = wait_for_status(submission.pk, {"verified"})
    assert Bot.objects.get(pk=submission.bot_id).status == "awaiting_launch"


def test_refresh_hands_over_atomically_and_destroys_the_old_secret(client_in, alice, offerings, venue, smtp_sink):
    old_key = exchange_key(venue)
    first = submit(client_in, form(alice, offerings["usdt-perp-hedge@bybit"], old_key))
    wait_for_status(first.pk, {"verified"})
    bot = Bot.objects.get(pk=first.bot_id)

    new_key = exchange_key(venue)
    data = form(alice, offerings["usdt-perp-hedge@bybit"], new_key, kind="refresh", bot=str(bot.pk))
    refresh = submit(client_in, data)
    assert Bot.objects.get(pk=bot.pk).credential_id == first.credential_id  # old keys trade meanwhile
    wait_for_status(refresh.pk, {"verified"})
    bot.refresh_from_db()
    assert bot.credential_id == refresh.credential_id
    old = Credential.objects.get(pk=first.credential_id)
    assert old.destroyed_at is not None
    refreshed = smtp_sink.to("alice@example.com", "API refreshed")
    assert "may now delete the old API keys" in text_of(refreshed)


def test_a_canary_secret_never_leaks(client_in, alice, offerings, venue, smtp_sink, worker):
    canary = "CanarySecret" + "Q7" * 12
    key = exchange_key(venue)
    data = form(alice, offerings["usdt-perp-hedge@bybit"], key, api_secret=canary)  # a wrong secret: rejected
    page = client_in.post("/submit/", data, follow=True).content.decode()
    submission = Submission.objects.get()
    done = wait_for_status(submission.pk, {"verified", "needs_attention"})
    assert done.status == "needs_attention"
    pages = page + client_in.get("/dashboard/").content.decode() + client_in.get(
        f"/submissions/{submission.pk}/").content.decode()
    smtp_sink.to("alice@example.com", "Action needed")
    mails = "".join(m.as_string() for m in smtp_sink.messages)
    jobs = "".join(str(j.args) for j in ProcrastinateJob.objects.all())
    with connection.cursor() as cur:
        cur.execute("SELECT table_name FROM information_schema.tables WHERE table_schema='public'")
        dump = []
        for (table,) in cur.fetchall():
            cur.execute(f'SELECT row_to_json(t)::text FROM "{table}" t')  # noqa: S608 - names from the catalogue
            dump.extend(row[0] for row in cur.fetchall())
    for where, haystack in {"pages": pages, "emails": mails, "jobs": jobs, "database": "\n".join(dump),
                            "worker log": worker.output()}.items():
        assert canary not in haystack, f"the canary leaked into {where}"

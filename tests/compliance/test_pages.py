"""The notice form (share shown before confirming, a clear sentence for every bad input, never
a 500), the dashboard's section, and the operators' page (404 for clients)."""

from __future__ import annotations

import time
from datetime import timedelta
from decimal import Decimal

import pyotp
import pytest
from django.utils import timezone

from sequence.accounts import totp
from sequence.accounts.decorators import SECOND_FACTOR_AT
from sequence.accounts.middleware import AUTH_AT, LAST_SEEN
from sequence.compliance.models import Alert, WithdrawalNotice
from tests.accounts.helpers import signed_in
from tests.compliance.helpers import alerts, bot_state, new_bot, step

pytestmark = pytest.mark.django_db
URL = "/compliance/notices/new/"


def post(client, target, **data):
    body = {"bot": str(target.pk), "amount": "100", "planned_for": timezone.localdate().isoformat(), **data}
    return client.post(URL, body)


@pytest.fixture
def trading(client, alice):
    bot, port, venue = new_bot(alice)
    signed_in(client, alice)
    return bot, port, venue


def test_the_form_shows_the_share_before_the_client_confirms(client, alice, trading):
    bot, _, _ = trading
    page = post(client, bot, amount="800")
    text = page.content.decode()
    assert page.status_code == 200 and "Confirm your withdrawal notice" in text
    assert "8.00%" in text and "Above the limit" in text
    assert not WithdrawalNotice.objects.exists()  # nothing recorded before the confirmation
    done = post(client, bot, amount="800", confirm="yes")
    assert done.status_code == 302 and done.url == "/dashboard/"
    notice = WithdrawalNotice.objects.get()
    assert notice.amount == Decimal(800) and notice.large and bot_state(bot) == ("paused", ["withdrawal"])
    dashboard = client.get("/dashboard/").content.decode()
    assert "is paused for your withdrawal" in dashboard and "I have withdrawn" in dashboard


def test_a_small_notice_says_trading_goes_on(client, alice, trading):
    bot, _, _ = trading
    text = post(client, bot, amount="100").content.decode()
    assert "1.00%" in text and "Within the limit" in text
    assert post(client, bot, amount="100", confirm="yes").status_code == 302
    assert bot_state(bot) == ("live", [])
    assert "Recorded" in client.get("/dashboard/").content.decode()


BAD_INPUT = [
    ("amount", "", "Enter the amount you plan to withdraw."),
    ("amount", "abc", "Enter the amount as a number"),
    ("amount", "-5", "Enter an amount above zero."),
    ("amount", "0", "Enter an amount above zero."),
    ("amount", "1.123456789012", "at most 10 decimal places"),
    ("amount", "1e400", "That amount has too many digits."),
    ("amount", "NaN", "Enter the amount as a number"),
    ("amount", "99999999999999999999999", "too large"),
    ("amount", "20000", "more than the balance we last read"),
    ("planned_for", "yesterday", "Enter the date as YYYY-MM-DD."),
    ("planned_for", "2001-01-01", "in the past"),
    ("planned_for", "9999-12-31", "at most 14 days ahead"),
    ("bot", "not-a-bot", "Choose one of your strategies that is trading."),
]


def test_bad_input_gets_a_sentence_not_an_error_page(client, alice, trading):
    bot, _, _ = trading  # one bot for every case: each post is refused, nothing changes between them
    for field, value, message in BAD_INPUT:
        page = post(client, bot, **{field: value}, confirm="yes")
        assert page.status_code == 200, (field, value)
        assert message in page.content.decode(), (field, value, message)
    assert not WithdrawalNotice.objects.exists()


def test_another_clients_bot_is_not_a_choice(client, alice, bob, trading):
    other, _, _ = new_bot(bob)
    page = post(client, other, confirm="yes")
    assert page.status_code == 200 and "Choose one of your strategies" in page.content.decode()
    assert not WithdrawalNotice.objects.exists()


def test_confirming_someone_elses_notice_is_refused(client, alice, bob, trading):
    from sequence.compliance import services

    other, _, _ = new_bot(bob)
    notice = services.notice_create(user=bob, bot_id=other.pk, amount=Decimal(900), planned_for=timezone.localdate())
    response = client.post(f"/compliance/notices/{notice.pk}/withdrawn/", follow=True)
    assert "not one of yours" in response.content.decode()
    assert bot_state(other) == ("paused", ["withdrawal"])


def operator_session(client, operator):
    setup = totp.totp_setup_begin(user=operator)
    totp.totp_setup_confirm(user=operator, code=pyotp.TOTP(setup.secret).now())
    operator.refresh_from_db()
    client.force_login(operator, backend="sequence.accounts.backends.EmailBackend")
    session = client.session  # as the sign-in view leaves it, the app's code just given
    session[AUTH_AT] = session[LAST_SEEN] = session[SECOND_FACTOR_AT] = time.time()
    session.save()
    return client


def test_the_operators_page_is_a_404_for_clients(client, alice, trading):
    assert client.get("/compliance/ops/").status_code == 404
    assert client.post("/compliance/ops/alerts/1/", {"action": "resolve", "note": "x"}).status_code == 404


def test_operators_see_every_notice_and_alert_and_resolve_with_a_note(client, alice, operator, trading):
    bot, port, venue = trading
    post(client, bot, amount="300", confirm="yes")
    venue.place_order(venue.account(bot.venue_account_id), venue.markets["BTCUSDT-linear"], side="buy",
                      type_="market", qty="0.01", link_id="mine-9")
    step(bot, port)
    alert = alerts(bot, Alert.Kind.MANUAL_TRADE)[0]
    ops = operator_session(client, operator)
    page = ops.get("/compliance/ops/").content.decode()
    assert "Manual trade" in page and "mine-9" in page and "300 USDT" in page and alice.email in page
    empty = ops.post(f"/compliance/ops/alerts/{alert.pk}/", {"action": "resolve", "note": ""}, follow=True)
    assert "Write a note" in empty.content.decode()
    assert ops.post(f"/compliance/ops/alerts/{alert.pk}/", {"action": "bogus", "note": "x"}).status_code == 302
    ops.post(f"/compliance/ops/alerts/{alert.pk}/", {"action": "resolve", "note": "client confirmed by phone"})
    alert.refresh_from_db()
    assert alert.status == "resolved" and alert.note == "client confirmed by phone" and alert.handled_by == operator
    assert bot_state(bot) == ("live", [])
    again = ops.post(f"/compliance/ops/alerts/{alert.pk}/", {"action": "resolve", "note": "again"}, follow=True)
    assert "already resolved" in again.content.decode()
    assert ops.post("/compliance/ops/alerts/999999/", {"action": "resolve", "note": "x"}, follow=True).status_code == 200


def test_a_bot_that_is_not_trading_takes_no_notice(client, alice, trading):
    from sequence.trading import services as trading_services

    bot, _, _ = trading
    trading_services.bot_stop(bot_id=bot.pk, actor=None)
    page = post(client, bot, confirm="yes")
    assert page.status_code == 200 and "None of your strategies is trading" in page.content.decode()
    assert "None of your strategies is trading" in client.get(URL).content.decode()
    assert not WithdrawalNotice.objects.exists()


def test_a_date_two_days_ahead_is_scheduled(client, alice, trading):
    bot, _, _ = trading
    day = (timezone.localdate() + timedelta(days=2)).isoformat()
    assert "on the planned date" in post(client, bot, amount="900", planned_for=day).content.decode()
    post(client, bot, amount="900", planned_for=day, confirm="yes")
    assert WithdrawalNotice.objects.get().status == "scheduled" and bot_state(bot) == ("live", [])


def test_the_client_confirms_the_withdrawal_from_the_dashboard(client, alice, trading):
    bot, _, _ = trading
    post(client, bot, amount="900", confirm="yes")
    notice = WithdrawalNotice.objects.get()
    page = client.post(f"/compliance/notices/{notice.pk}/withdrawn/", follow=True).content.decode()
    assert "your strategy trades again" in page
    assert bot_state(bot) == ("live", [])
    again = client.post(f"/compliance/notices/{notice.pk}/withdrawn/", follow=True).content.decode()
    assert "nothing to confirm" in again
    assert client.get(f"/compliance/notices/{notice.pk}/withdrawn/").status_code == 405

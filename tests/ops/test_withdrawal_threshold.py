"""Issue 12 item 4: the withdrawal threshold is a catalogue setting per strategy (default 5%),
edited on the console's strategy page: validated, audited, behind a recent second factor."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
from django.utils import timezone

from sequence.accounts.decorators import SECOND_FACTOR_AT
from sequence.compliance import services as compliance
from sequence.compliance.models import StrategyRules
from sequence.ops.models import AuditEvent
from tests.compliance.helpers import bot_state, new_bot

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("catalogued")]
URL = "/ops/catalogue/usdt-perp-hedge/"


def threshold_field(html: str) -> str:
    return html.split('id="s-withdrawal"')[1].split(">")[0]


def test_the_page_shows_the_default_and_an_operator_changes_it_audited(ops, operator):
    html = ops.get(URL).content.decode()
    assert 'value="5"' in threshold_field(html) and "Now 5%." in html
    response = ops.post(URL + "rules/", {"withdrawal_pct": "7.5"})
    assert response.status_code == 302 and response.url == URL
    rules = StrategyRules.objects.get(strategy__slug="usdt-perp-hedge")
    assert rules.withdrawal_limit == Decimal("0.075")
    page = ops.get(URL).content.decode()
    assert "Withdrawal threshold of USDT Perpetual Bidirectional: 7.5% (was 5%)." in page
    assert 'value="7.5"' in threshold_field(page)
    event = AuditEvent.objects.get(action="compliance.withdrawal_limit_set")
    assert event.actor == operator and event.target_type == "catalog.strategy"
    assert event.data == {"before_pct": "5", "after_pct": "7.5"}
    ops.post(URL + "rules/", {"withdrawal_pct": "100 %"})  # the upper bound is allowed, a trailing % too
    assert StrategyRules.objects.get(pk=rules.pk).withdrawal_limit == 1
    assert 'value="100"' in threshold_field(ops.get(URL).content.decode())


@pytest.mark.parametrize(("text", "message"), [
    ("", "Enter the withdrawal threshold"),
    ("five", "must be a number of percent"),
    ("0", "must be above 0%"),
    ("-3", "must be above 0%"),
    ("100.01", "at most 100%"),
    ("1e3", "at most 100%"),
    ("NaN", "must be a number of percent"),
    ("Infinity", "must be a number of percent"),
    ("5.1234567", "at most 6 decimal places"),
    ("5,5", "must be a number of percent"),
])
def test_bad_input_gets_a_clear_form_error_and_changes_nothing(ops, text, message):
    response = ops.post(URL + "rules/", {"withdrawal_pct": text})
    html = response.content.decode()
    assert response.status_code == 200
    error = html.split('id="s-withdrawal-error"')[1].split("</p>")[0]
    assert message in error
    assert 'aria-invalid="true"' in threshold_field(html)
    assert not StrategyRules.objects.exists()
    assert not AuditEvent.objects.filter(action="compliance.withdrawal_limit_set").exists()
    assert "Now 5%." in html  # the stored value is still said


def test_it_needs_a_second_factor_from_the_last_15_minutes(ops, operator):
    session = ops.session
    session[SECOND_FACTOR_AT] = time.time() - 16 * 60
    session.save()
    response = ops.post(URL + "rules/", {"withdrawal_pct": "9"})
    assert response.status_code == 302 and response.url == "/signin/confirm/"
    assert not StrategyRules.objects.exists()
    assert ops.post("/ops/catalogue/no-such-strategy/rules/", {"withdrawal_pct": "9"}).status_code == 404
    assert ops.get(URL + "rules/").status_code == 405


def test_the_new_threshold_decides_whether_a_notice_pauses_the_bot(ops, alice):
    bot, _, _ = new_bot(alice, balance="10000")
    slug = bot.offering.strategy.slug
    eight = {"bot_id": bot.pk, "amount": Decimal(800), "planned_for": timezone.localdate()}
    assert compliance.notice_preview(bot=bot, amount=Decimal(800), planned_for=timezone.localdate()).large
    assert ops.post(f"/ops/catalogue/{slug}/rules/", {"withdrawal_pct": "10"}).status_code == 302
    notice = compliance.notice_create(user=alice, **eight)  # 8% of the balance: under the new 10%
    assert not notice.large and notice.limit == Decimal("0.1")
    assert bot_state(bot) == ("live", [])

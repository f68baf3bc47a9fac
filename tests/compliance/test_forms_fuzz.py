"""Hypothesis posts to the funds rules' forms: whatever arrives, never a 500, nothing reflected
unescaped, and no notice or alert change from a post that is not a valid one."""

from __future__ import annotations

import time

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sequence.accounts.decorators import SECOND_FACTOR_AT
from sequence.accounts.middleware import AUTH_AT, LAST_SEEN
from sequence.compliance.models import Alert
from tests.compliance.helpers import new_bot

pytestmark = pytest.mark.django_db

PAYLOAD = "<script>alert(1)</script>"
TEXT = st.one_of(st.text(max_size=40), st.sampled_from(["", "0", "-1", "1e999", "NaN", "Infinity", "1,5",
                                                         "٣٠٠", "2026-02-30", PAYLOAD, " 100 ", "0x10"]))


def fresh(client) -> None:
    session = client.session
    session[AUTH_AT] = session[LAST_SEEN] = session[SECOND_FACTOR_AT] = time.time()
    session.save()


def check(client, url: str, data: dict) -> tuple[int, str]:
    with transaction.atomic():  # each post rolled back: the next one starts from the same state
        fresh(client)
        response = client.post(url, data)
        transaction.set_rollback(True)
    assert response.status_code < 500, (url, data, response.status_code)
    assert PAYLOAD not in response.content.decode("utf-8", "replace")
    assert "/signin" not in response.get("Location", ""), "the session must reach the form"
    return response.status_code, response.get("Location", "")


def test_the_notice_form_takes_anything(client, alice):
    bot, _, _ = new_bot(alice, steps=1)
    client.force_login(alice, backend="sequence.accounts.backends.EmailBackend")
    good = {"bot": str(bot.pk), "amount": "100", "planned_for": timezone.localdate().isoformat()}

    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
    @given(changes=st.dictionaries(st.sampled_from(["bot", "amount", "planned_for", "confirm"]), TEXT, max_size=4))
    def run(changes):
        seen.add(check(client, "/compliance/notices/new/", {**good, **changes})[0])

    seen: set[int] = set()
    run()
    assert 200 in seen  # forms re-shown with their sentences (or the confirmation)


def test_the_alert_form_takes_anything(client, operator, alice):
    import pyotp

    from sequence.accounts import totp

    bot, _, _ = new_bot(alice, steps=1)
    alert = Alert.objects.create(bot=bot, kind="manual_trade", record_id="fill:x", data={"what": "fill"})
    setup = totp.totp_setup_begin(user=operator)
    totp.totp_setup_confirm(user=operator, code=pyotp.TOTP(setup.secret).now())
    client.force_login(operator, backend="sequence.accounts.backends.EmailBackend")

    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    @given(data=st.dictionaries(st.sampled_from(["action", "note"]), TEXT, max_size=2),
           pk=st.sampled_from([str(alert.pk), "0", "99999999"]))
    def run(data, pk):
        # back to the operators' page, with a message
        assert check(client, f"/compliance/ops/alerts/{pk}/", data) == (302, "/compliance/ops/")

    run()
    alert.refresh_from_db()
    assert alert.status == "open"  # every post was rolled back

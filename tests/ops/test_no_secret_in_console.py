"""Issue 11: operators never see a secret. A canary key, submitted through the real form, is
absent from every console page (walked from the ops urlconf) and from the CSV export."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.urls import get_resolver, reverse

from sequence.onboarding.models import Submission
from sequence.ops.models import HelpPage
from tests.onboarding.helpers import catalog, form
from tests.ops.helpers import CANARY, sign_in, submission, with_app

pytestmark = pytest.mark.django_db


def test_a_canary_secret_is_absent_from_every_console_page_and_the_csv(client, alice, operator, settings):
    settings.DEMO = False
    offerings = catalog()
    offering = offerings["usdt-perp-hedge@bybit"]
    key = SimpleNamespace(api_key=f"{CANARY}K", secret=f"{CANARY}S", passphrase=None)
    sign_in(client, alice)
    assert client.post("/submit/", form(alice, offering, key)).status_code == 302
    sub = Submission.objects.get(user=alice)
    assert sub.credential_id and sub.key_tail == key.api_key[-4:]  # the tail, never the key
    verified = submission(alice, offerings["usdt-perp-hedge@okx"], flags=("kraken_contact_support",))
    client.logout()
    with_app(operator)
    sign_in(client, operator)
    ids = {"bot": {"pk": verified.bot_id}, "client": {"pk": alice.pk},
           "strategy": {"slug": offering.strategy.slug}, "help_page": {"slug": HelpPage.objects.first().slug}}
    pages = 0
    for p in get_resolver("sequence.ops.urls").url_patterns:
        if p.pattern.converters and p.name not in ids:
            continue  # POST-only action URLs: they redirect, they render nothing
        url = reverse(f"ops:{p.name}", kwargs=ids.get(p.name))
        response = client.get(url)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert response.status_code in (200, 404, 405), url  # 404: the demo mailbox outside the demo
        assert CANARY.encode() not in body, url
        pages += response.status_code == 200
    assert pages >= 14
    csv = b"".join(client.get("/ops/audit/export.csv").streaming_content)
    assert b"onboarding.submitted_new" in csv and CANARY.encode() not in csv
    assert f"…{sub.key_tail}".encode() in client.get("/ops/submissions/").content

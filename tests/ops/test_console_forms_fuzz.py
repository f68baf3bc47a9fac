"""Bad input to the console's forms gets a sentence, never a 500 or a reflected payload:
Hypothesis posts arbitrary values (unicode, control characters, HTML/JS, near-valid ones) to
every console form and filter, as the operator who uses them. Each post runs in a savepoint
that is rolled back, so the examples do not change each other's rows."""

from __future__ import annotations

import json

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.onboarding.helpers import catalog
from tests.ops.helpers import sign_in, submission, with_app

pytestmark = pytest.mark.django_db

PAYLOADS = ("<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "javascript:alert(1)",
            "</textarea><script>alert(1)</script>")
NEAR = ("", " ", "0", "-1", "1e999", "NaN", "bybit derivatives BTC/USDT:USDT", '{"sides": "both"}', "[]",
        "kraken_contact_support", "usdt", "USDT", "guide", "2026-13-45", "//evil.example/", "/ops/../x")
VALUE = st.one_of(st.text(max_size=80), st.sampled_from(PAYLOADS), st.sampled_from(NEAR))


def check(response) -> None:
    assert response.status_code < 500
    body = b"".join(response.streaming_content) if getattr(response, "streaming", False) else response.content
    for p in PAYLOADS[:2] + PAYLOADS[3:]:
        assert p.encode() not in body, p
    if response.status_code == 302:
        assert response.url.startswith("/"), response.url  # never off-site


@pytest.fixture
def targets(client, operator, alice, settings):
    settings.DEMO = False
    with_app(operator)
    offerings = catalog()
    sub = submission(alice, offerings["kraken-spot@kraken"], status="needs_attention",
                     flags=("kraken_contact_support",), problems=("key_invalid",))
    asked = submission(alice, offerings["eth-accumulator@bybit"], status="eligibility", checked=False,
                       flags=("eligibility_request",))
    sign_in(client, operator)
    bot = sub.bot_id
    strategy = offerings["usdt-spot-dca@bybit"].strategy.slug
    catalogue = ("slug", "name", "description", "base_currency", "min_balance", "params", "markets", "invite_only")
    return client, [
        ("post", f"/ops/submissions/{sub.pk}/resolve/", ("flag", "note", "next")),
        ("post", f"/ops/submissions/{sub.pk}/check/", ("next",)),
        *[("post", f"/ops/submissions/{s.pk}/{a}/", ("note", "next"))
          for s in (sub, asked) for a in ("grant", "refuse")],
        ("post", f"/ops/catalogue/{strategy}/rules/", ("withdrawal_pct",)),
        *[("post", f"/ops/bots/{bot}/{a}/", ("message", "version", "next"))
          for a in ("launch", "pause", "resume", "stop", "keys", "move", "nope")],
        *[("post", f"/ops/clients/{alice.pk}/{a}/", ("subject", "message", "email", "strategy", "reason"))
          for a in ("message", "retry", "grant", "revoke")],
        ("post", "/ops/catalogue/new/", catalogue), ("post", f"/ops/catalogue/{strategy}/", catalogue),
        ("post", "/ops/help/new/", ("title", "section", "body", "sort_order")),
        ("post", "/ops/help/bybit/", ("title", "section", "body", "sort_order")),
        ("get", "/ops/audit/", ("actor", "target", "kind", "since", "until")),
        ("get", "/ops/audit/export.csv", ("actor", "since")),
        ("get", "/ops/submissions/", ("status", "exchange", "flag")), ("get", "/ops/clients/", ("q",)),
        ("get", "/ops/bots/", ("status",)),
    ]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_console_forms_take_any_input(targets, data):
    client, forms = targets
    method, url, fields = data.draw(st.sampled_from(forms))
    body = {f: data.draw(VALUE, label=f) for f in data.draw(st.lists(st.sampled_from(fields), unique=True))}
    if "params" in body and data.draw(st.booleans()):
        body["params"] = json.dumps({"sides": data.draw(st.sampled_from(["long", "both", "x"])),
                                     "market": data.draw(st.sampled_from(["spot", "derivatives"]))})
    body = {k: v.replace("\x00", "") for k, v in body.items()}  # the test client cannot send NUL
    with transaction.atomic():
        check(getattr(client, method)(url, body))
        transaction.set_rollback(True)

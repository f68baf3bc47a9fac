"""Issue 11 item 1: the console is for operators. Every /ops/ URL pattern (walked from the ops
urlconf, not listed by hand) answers 404 to a client and sends an anonymous visitor to sign-in."""

from __future__ import annotations

import uuid

import pytest
from django.urls import URLPattern, get_resolver

from sequence.trading.models import Bot
from tests.onboarding.helpers import catalog
from tests.ops.helpers import sign_in, submission, with_app

pytestmark = pytest.mark.django_db

SAMPLE = {"uuid": lambda: str(uuid.uuid4()), "int": lambda: "1", "slug": lambda: "some-slug",
          "str": lambda: "launch", "path": lambda: "x"}


def ops_urls() -> list[str]:
    """One concrete URL per pattern of the ops urlconf (mounted at /ops/)."""
    out = []
    for p in get_resolver("sequence.ops.urls").url_patterns:
        assert isinstance(p, URLPattern), "the ops urlconf includes no other urlconf"
        route = str(p.pattern)
        for name, conv in p.pattern.converters.items():
            kind = type(conv).__name__.removesuffix("Converter").lower().replace("string", "str")
            route = route.replace(f"<{kind}:{name}>", SAMPLE[kind]())
        assert "<" not in route, route
        out.append("/ops/" + route)
    return out


def test_the_walk_covers_the_console():
    urls = ops_urls()
    assert len(urls) >= 15 and "/ops/submissions/" in urls and "/ops/audit/export.csv" in urls


def test_every_view_is_staff_only():
    for p in get_resolver("sequence.ops.urls").url_patterns:
        assert getattr(p.callback, "ops_staff_required", False), p.name


@pytest.mark.parametrize("method", ["get", "post"])
def test_clients_get_404_on_every_ops_url(client, alice, method, settings):
    settings.DEMO = True  # the demo mailbox too: past the check it would answer
    sign_in(client, alice)
    for url in ops_urls():
        assert getattr(client, method)(url).status_code == 404, url


@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_visitors_go_to_sign_in_from_every_ops_url(client, method):
    for url in ops_urls():
        response = getattr(client, method)(url)
        assert response.status_code == 302 and response.url.startswith("/signin/?next=/ops/"), url


def test_an_operator_opens_the_console(client, operator, settings):
    settings.DEMO = False
    with_app(operator)
    sign_in(client, operator)
    for url in ("/ops/", "/ops/submissions/", "/ops/bots/", "/ops/clients/", "/ops/catalogue/", "/ops/audit/",
                "/ops/help/"):
        assert client.get(url).status_code == 200, url


def test_stop_needs_a_second_factor_from_the_last_15_minutes(client, operator, alice, settings):
    settings.DEMO = False
    with_app(operator)
    sub = submission(alice, catalog()["usdt-perp-hedge@bybit"])
    sign_in(client, operator, factor_age=16 * 60)
    response = client.post(f"/ops/bots/{sub.bot_id}/stop/")
    assert response.status_code == 302 and response.url == "/signin/confirm/"
    assert client.session["reauth_next"] == f"/ops/bots/{sub.bot_id}/"
    assert Bot.objects.get(pk=sub.bot_id).status == "awaiting_launch"
    # not destructive: pausing is not asked for a factor (here refused for its state, not redirected)
    assert client.post(f"/ops/bots/{sub.bot_id}/pause/").url == f"/ops/bots/{sub.bot_id}/"
    sign_in(client, operator, factor_age=14 * 60)
    assert client.post(f"/ops/bots/{sub.bot_id}/stop/").url == f"/ops/bots/{sub.bot_id}/"
    assert Bot.objects.get(pk=sub.bot_id).status == "stopped"

"""Issue 11: after sign-in an operator lands on the console, a client on the dashboard; a safe
``next`` (a page of this site) wins, any other is ignored."""

from __future__ import annotations

import time
from urllib.parse import urlencode

import pyotp
import pytest

from sequence.accounts.services import signin_code_prepare_email
from sequence.notifications.models import OutboundEmail
from tests.conftest import PASSWORD
from tests.ops.helpers import with_app

pytestmark = pytest.mark.django_db

UNSAFE = ["https://evil.example/ops/", "//evil.example/dashboard/", "javascript:alert(1)", "https:///evil.example",
          "/\\evil.example/"]


def sign_in_with_email_code(client, user, nxt=None):
    data = {"email": user.email, "password": PASSWORD}
    if nxt is not None:
        data["next"] = nxt
    assert client.post("/signin/", data).url == "/signin/code/"
    email = OutboundEmail.objects.filter(user=user, kind="signin_code").latest("pk")
    response = client.post("/signin/code/", {"code": signin_code_prepare_email(email)["code"]})
    assert response.status_code == 302
    return response.url


def sign_in_with_app(client, user, secret, nxt=None):
    url = "/signin/" + (f"?{urlencode({'next': nxt})}" if nxt else "")
    assert client.post(url, {"email": user.email, "password": PASSWORD}).url == "/signin/code/"
    totp = pyotp.TOTP(secret)  # the next step's code: the current one was spent turning the app on
    response = client.post("/signin/code/", {"code": totp.at(time.time() + totp.interval)})
    assert response.status_code == 302
    return response.url


@pytest.fixture
def outside_demo(settings):
    settings.DEMO = False


def test_an_operator_lands_on_the_console_and_a_client_on_the_dashboard(client, operator, alice, outside_demo):
    from django.test import Client

    secret = with_app(operator)
    assert sign_in_with_app(client, operator, secret) == "/ops/"
    assert client.get("/ops/").status_code == 200
    assert client.get("/").url == "/ops/"  # the home page sends a signed-in operator there too
    assert client.get("/signin/").url == "/ops/"
    other = Client()
    assert sign_in_with_email_code(other, alice) == "/dashboard/"
    assert other.get("/").url == "/dashboard/" and other.get("/signin/").url == "/dashboard/"


def test_a_safe_next_wins_for_both(client, operator, alice, outside_demo):
    from django.test import Client

    secret = with_app(operator)
    assert sign_in_with_app(client, operator, secret, nxt="/ops/audit/?kind=bot") == "/ops/audit/?kind=bot"
    assert client.get("/signin/?next=/ops/clients/").url == "/ops/clients/"
    other = Client()
    assert sign_in_with_email_code(other, alice, nxt="/submit/?type=refresh") == "/submit/?type=refresh"


def test_the_console_sends_an_anonymous_operator_through_sign_in_and_back(client, operator, outside_demo):
    secret = with_app(operator)
    login = client.get("/ops/bots/")
    assert login.status_code == 302 and login.url == "/signin/?next=/ops/bots/"
    assert 'name="next" value="/ops/bots/"' in client.get(login.url).content.decode()
    assert sign_in_with_app(client, operator, secret, nxt="/ops/bots/") == "/ops/bots/"


@pytest.mark.parametrize("nxt", UNSAFE)
def test_a_next_to_another_site_is_ignored(client, operator, alice, outside_demo, nxt):
    from django.test import Client

    secret = with_app(operator)
    assert sign_in_with_app(client, operator, secret, nxt=nxt) == "/ops/"
    assert client.get("/signin/", {"next": nxt}).url == "/ops/"
    other = Client()
    assert sign_in_with_email_code(other, alice, nxt=nxt) == "/dashboard/"

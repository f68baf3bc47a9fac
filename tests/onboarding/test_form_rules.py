"""Every rule of the submission form; no worker: what is stored, what is refused, and why."""

from __future__ import annotations

import time

import pytest

from sequence.accounts.decorators import SECOND_FACTOR_AT
from sequence.catalog.services import invite_grant
from sequence.notifications.models import OutboundEmail
from sequence.onboarding.models import Submission
from sequence.trading.models import Bot
from sequence.vault.models import Credential
from tests.accounts.helpers import signed_in
from tests.onboarding.helpers import catalog, form

pytestmark = pytest.mark.django_db

BYBIT_KEY = "AbCdEf1234567890Zz"
BYBIT_SECRET = "S3cr3tCanaryValue0123456789abcdefXYZ"


@pytest.fixture
def offerings(settings):
    settings.EGRESS_IPS = ["127.0.0.1"]
    return catalog()


@pytest.fixture
def client_in(client, alice):
    signed_in(client, alice)
    return client


def bybit_form(user, offerings, **over):
    return form(user, offerings["usdt-perp-hedge@bybit"], **{"api_key": BYBIT_KEY, "api_secret": BYBIT_SECRET,
                                                            **over})


def nothing_stored():
    return not (Submission.objects.exists() or Bot.objects.exists() or Credential.objects.exists()
                or OutboundEmail.objects.filter(kind="keys_received").exists())


def test_the_form_shows_the_guide_fields_in_order(client_in, offerings):
    page = client_in.get("/submit/?type=new").content.decode()
    labels = ["Registered email", "Adding strategy for the first time", "Refreshing API", "Spot Trading",
              "Derivatives", "Exchange", "Strategy", "API Name", "Passphrase", "API Key", "API Secret",
              "Private Key", "Anti-phishing code", "I have funded the dedicated sub-account",
              "terms and conditions", "risk disclosure", "Submit Information"]
    positions = [page.index(label) for label in labels]
    assert positions == sorted(positions)
    assert "alice@example.com" in page and "(Invite Only)" in page
    assert "127.0.0.1" in page  # the IP addresses to whitelist


def test_a_valid_submission_stores_sealed_keys_and_queues_email_and_check(client_in, alice, offerings):
    response = client_in.post("/submit/", bybit_form(alice, offerings))
    assert response.status_code == 302
    submission = Submission.objects.get()
    assert response.url == f"/submissions/{submission.pk}/"
    assert submission.key_tail == BYBIT_KEY[-4:]
    assert submission.terms_version and submission.agreed_at and submission.funded_confirmed
    assert submission.bot.status == "submitted"
    assert OutboundEmail.objects.filter(kind="keys_received", user=alice).count() == 1
    from procrastinate.contrib.django.models import ProcrastinateJob

    job = ProcrastinateJob.objects.get(task_name="onboarding.verify_submission")
    assert job.args == {"submission_id": str(submission.pk)} and job.lock == f"bot:{submission.bot_id}"
    page = client_in.get(response.url).content.decode()
    assert "Keys received" in page and BYBIT_SECRET not in page


def test_registered_email_matches_case_insensitively(client_in, alice, offerings):
    client_in.post("/submit/", bybit_form(alice, offerings, registered_email="ALICE@EXAMPLE.COM"))
    assert Submission.objects.count() == 1


def test_a_different_email_is_refused_clearly_and_secrets_are_not_echoed(client_in, alice, offerings):
    response = client_in.post("/submit/", bybit_form(alice, offerings, registered_email="mallory@example.com"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "not the email address registered to your account" in page
    assert BYBIT_SECRET not in page and BYBIT_KEY not in page
    assert nothing_stored()


def test_invite_only_without_a_grant_is_an_eligibility_request(client_in, alice, offerings):
    from procrastinate.contrib.django.models import ProcrastinateJob

    eth = offerings["eth-accumulator@bybit"]
    data = form(alice, eth, api_key=BYBIT_KEY, api_secret=BYBIT_SECRET)
    response = client_in.post("/submit/", data)
    assert response.status_code == 302
    asked = Submission.objects.get()
    assert asked.status == "eligibility" and asked.operator_flags == ["eligibility_request"]
    assert "is checking your eligibility" in client_in.get(response.url).content.decode()
    assert not ProcrastinateJob.objects.filter(task_name="onboarding.verify_submission").exists()
    invite_grant(user=alice, strategy=eth.strategy)
    data["form_token"] = form(alice, eth)["form_token"]
    response = client_in.post("/submit/", data)
    invited = Submission.objects.get(pk=response.url.rstrip("/").split("/")[-1])
    assert invited.status == "submitted" and invited.operator_flags == []
    assert ProcrastinateJob.objects.filter(task_name="onboarding.verify_submission",
                                           args={"submission_id": str(invited.pk)}).exists()


def test_only_valid_exchange_market_strategy_triples(client_in, alice, offerings):
    data = bybit_form(alice, offerings, market="spot")  # the hedge strategy is derivatives-only
    page = client_in.post("/submit/", data).content.decode()
    assert "not available on this exchange and market" in page
    assert nothing_stored()


@pytest.mark.parametrize(("field", "value", "message"), [
    ("api_key", "", "Enter the API Key"),
    ("api_secret", "", "Enter the API Secret"),
    ("api_key", "has spaces in it!!", "API Key"),
    ("anti_phishing_code", "abc", "4"),
    ("funded", None, "confirm the sub-account is funded"),
    ("agree", None, "agree to the terms"),
])
def test_each_missing_or_malformed_field_is_named(client_in, alice, offerings, field, value, message):
    page = client_in.post("/submit/", bybit_form(alice, offerings, **{field: value})).content.decode()
    assert message in page
    assert nothing_stored()
    assert BYBIT_SECRET not in page


def test_okx_needs_name_and_passphrase(client_in, alice, offerings):
    data = form(alice, offerings["usdt-perp-hedge@okx"], api_key="2c3b8a3e-5f6d-4c1a-9b7e-0a1b2c3d4e5f",
                api_secret="A" * 32)
    page = client_in.post("/submit/", data).content.decode()
    assert "Enter the API Name" in page and "Enter the Passphrase" in page
    assert nothing_stored()


def test_kraken_is_flagged_for_an_operator(client_in, alice, offerings):
    import base64

    data = form(alice, offerings["kraken-spot@kraken"], api_key="K" * 56,
                private_key=base64.b64encode(b"k" * 64).decode())
    response = client_in.post("/submit/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    submission = Submission.objects.get()
    assert "kraken_contact_support" in submission.operator_flags
    assert "please contact" in client_in.get(response.url).content.decode()


def test_binance_asks_support_for_the_alternate_connection(client_in, alice, offerings, settings):
    data = form(alice, offerings["usdt-perp-hedge@binance"])
    response = client_in.post("/submit/", data)
    assert response.status_code == 302
    submission = Submission.objects.get()
    assert submission.status == "contact_support" and submission.credential is None
    to_support = OutboundEmail.objects.get(kind="support_connection_request")
    assert to_support.to_address == settings.SUPPORT_EMAIL
    assert OutboundEmail.objects.filter(kind="keys_received", user=alice).exists()
    from procrastinate.contrib.django.models import ProcrastinateJob

    assert not ProcrastinateJob.objects.filter(task_name="onboarding.verify_submission").exists()


def test_a_double_click_makes_one_submission(client_in, alice, offerings):
    data = bybit_form(alice, offerings)
    first = client_in.post("/submit/", data)
    second = client_in.post("/submit/", data)
    assert first.url == second.url
    assert Submission.objects.count() == 1 and Credential.objects.count() == 1


def test_csrf_is_required(client_in, alice, offerings):
    client_in.handler.enforce_csrf_checks = True
    assert client_in.post("/submit/", bybit_form(alice, offerings)).status_code == 403
    assert nothing_stored()


def test_a_stale_second_factor_must_be_confirmed_again(client_in, alice, offerings):
    session = client_in.session
    session[SECOND_FACTOR_AT] = time.time() - 16 * 60
    session.save()
    response = client_in.post("/submit/", bybit_form(alice, offerings))
    assert response.status_code == 302 and response.url == "/signin/confirm/"
    assert nothing_stored()


def test_changing_the_anti_phishing_code_here_changes_the_account(client_in, alice, offerings):
    client_in.post("/submit/", bybit_form(alice, offerings, anti_phishing_code="newcode-9"))
    alice.refresh_from_db()
    assert alice.anti_phishing_code == "newcode-9"


def test_if_anything_fails_nothing_is_stored(client_in, alice, offerings, monkeypatch):
    import sequence.onboarding.services as services

    def broken(**kwargs):
        raise RuntimeError("mail kind broke")

    monkeypatch.setattr(services, "email_enqueue", broken)
    with pytest.raises(RuntimeError):
        client_in.post("/submit/", bybit_form(alice, offerings))
    assert nothing_stored()


def test_refresh_requires_choosing_one_of_your_bots(client_in, alice, offerings):
    page = client_in.post("/submit/", bybit_form(alice, offerings, kind="refresh")).content.decode()
    assert "Choose which strategy" in page
    assert nothing_stored()


@pytest.mark.parametrize(("field", "message"), [("market", "Choose Spot Trading or Derivatives"),
                                                ("exchange", "Choose an exchange")])
def test_a_new_strategy_needs_its_market_and_exchange(client_in, alice, offerings, field, message):
    page = client_in.post("/submit/", bybit_form(alice, offerings, **{field: None})).content.decode()
    assert message in page
    assert nothing_stored()


def test_a_refresh_is_accepted_as_the_page_sends_it_without_market_or_exchange(client_in, alice, offerings):
    """The page hides a refresh's market, exchange and strategy (they are the bot's): the form
    must not ask for them."""
    first = client_in.post("/submit/", bybit_form(alice, offerings))
    assert first.status_code == 302
    bot = Bot.objects.get()
    Bot.objects.filter(pk=bot.pk).update(credential=Submission.objects.get().credential)  # as verification does
    data = bybit_form(alice, offerings, kind="refresh", bot=str(bot.pk), market=None, exchange=None,
                      api_key="ZzYyXx0987654321Ab")
    del data["offering"]
    response = client_in.post("/submit/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    refresh = Submission.objects.get(kind="refresh")
    assert refresh.bot_id == bot.pk and refresh.offering_id == bot.offering_id and refresh.key_tail == "21Ab"


def test_the_refresh_page_says_to_keep_the_old_keys_and_knows_each_bots_exchange(client_in, alice, offerings):
    client_in.post("/submit/", bybit_form(alice, offerings))
    bot = Bot.objects.get()
    Bot.objects.filter(pk=bot.pk).update(credential=Submission.objects.get().credential)
    page = client_in.get("/submit/?type=refresh").content.decode()
    assert "Do not delete the old keys until you have received the “API refreshed” email" in page
    assert f'"{bot.pk}": "bybit"' in page  # the script shows that exchange's fields for a refresh

"""A key pasted with a line break inside is sealed exactly as it was checked (issue 14 item 12)."""

from __future__ import annotations

import pytest

from sequence.onboarding.models import Submission
from sequence.vault.services import credential_open
from tests.accounts.helpers import signed_in
from tests.onboarding.helpers import catalog, form

pytestmark = pytest.mark.django_db

KEY = "AbCdEf1234567890Zz"
SECRET = "S3cr3tCanaryValue0123456789abcdefXYZ"


@pytest.fixture
def offerings(settings):
    settings.EGRESS_IPS = ["127.0.0.1"]
    return catalog()


def test_inner_line_breaks_are_removed_before_the_check_and_the_seal(client, alice, offerings):
    signed_in(client, alice)
    pasted_key = KEY[:9] + "\r\n" + KEY[9:]
    pasted_secret = " " + SECRET[:20] + "\n" + SECRET[20:] + "\n"
    response = client.post("/submit/", form(alice, offerings["usdt-perp-hedge@bybit"],
                                            api_key=pasted_key, api_secret=pasted_secret))
    assert response.status_code == 302
    credential = Submission.objects.get().credential
    opened = credential_open(credential=credential, purpose="test", actor="test")
    assert opened["api_key"].reveal() == KEY
    assert opened["api_secret"].reveal() == SECRET
    assert credential.key_tail == KEY[-4:]


def test_a_passphrase_with_an_inner_space_is_refused_not_altered(client, alice, offerings):
    signed_in(client, alice)
    okx = next(o for key, o in offerings.items() if key.endswith("@okx"))
    response = client.post("/submit/", form(
        alice, okx, api_name="bot", passphrase="pass phrase", api_secret="A" * 32,
        api_key="5c1c9e2a-1b2c-4d5e-8f90-0123456789ab"))
    assert response.status_code == 200 and not Submission.objects.exists()
    assert "Passphrase contains spaces" in response.content.decode()

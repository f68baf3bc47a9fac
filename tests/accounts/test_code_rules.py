"""The rules of the emailed code: lifetime, single use, tries, binding, resend cooldown.

The code is produced by the same preparer the delivering job runs, so these
tests need no worker.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from sequence.accounts import services
from sequence.accounts.models import SigninChallenge
from sequence.notifications.models import OutboundEmail

pytestmark = pytest.mark.django_db


def start(user):
    challenge = services.signin_challenge_start(user=user)
    email = OutboundEmail.objects.get(kind="signin_code", context__challenge_id=str(challenge.pk))
    code = services.signin_code_prepare_email(email)["code"]
    return challenge, code


def verify(challenge, user, code):
    return services.signin_challenge_verify(challenge_id=challenge.pk, user_id=user.pk, code=code)


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def test_only_a_hash_is_stored(alice):
    challenge, code = start(alice)
    challenge.refresh_from_db()
    assert len(challenge.code_hash) == 64 and code not in challenge.code_hash
    assert verify(challenge, alice, code) == alice


def test_a_code_works_once(alice):
    challenge, code = start(alice)
    verify(challenge, alice, code)
    with pytest.raises(services.SigninError, match="expired or was tried"):
        verify(challenge, alice, code)


def test_a_code_expires_after_ten_minutes(alice):
    challenge, code = start(alice)
    with time_machine.travel(timezone.now() + timedelta(minutes=10, seconds=1)), \
            pytest.raises(services.SigninError, match="expired"):
        verify(challenge, alice, code)


def test_a_code_still_works_just_before_expiry(alice):
    challenge, code = start(alice)
    with time_machine.travel(timezone.now() + timedelta(minutes=9, seconds=50)):
        assert verify(challenge, alice, code) == alice


def test_the_code_dies_after_five_wrong_tries(alice):
    challenge, code = start(alice)
    for left in (4, 3, 2, 1):
        with pytest.raises(services.SigninError, match=f"{left} tries left"):
            verify(challenge, alice, wrong(code))
    with pytest.raises(services.SigninError, match="Too many wrong codes"):
        verify(challenge, alice, wrong(code))
    # the 6th try, even with the right code, fails
    with pytest.raises(services.SigninError):
        verify(challenge, alice, code)
    challenge.refresh_from_db()
    assert challenge.attempts == 5 and challenge.used_at is None


def test_a_code_is_bound_to_its_account(alice, bob):
    challenge, code = start(alice)
    with pytest.raises(services.SigninError):
        verify(challenge, bob, code)


def test_a_new_code_supersedes_the_old_one(alice):
    first, first_code = start(alice)
    second, second_code = start(alice)
    with pytest.raises(services.SigninError):
        verify(first, alice, first_code)
    assert verify(second, alice, second_code) == alice


def test_a_superseded_challenge_gets_no_email(alice):
    first = services.signin_challenge_start(user=alice)
    services.signin_challenge_start(user=alice)
    email = OutboundEmail.objects.get(context__challenge_id=str(first.pk))
    assert services.signin_code_prepare_email(email) is None


def test_resend_waits_sixty_seconds(alice):
    challenge, _ = start(alice)
    with pytest.raises(services.ResendTooSoon) as info:
        services.signin_challenge_resend(challenge=challenge)
    assert 55 <= info.value.seconds <= 61
    with time_machine.travel(timezone.now() + timedelta(seconds=61)):
        new = services.signin_challenge_resend(challenge=challenge)
    assert new.pk != challenge.pk
    assert SigninChallenge.objects.get(pk=challenge.pk).superseded_at is not None


def test_codes_are_six_digits(alice):
    codes = {start(alice)[1] for _ in range(20)}
    assert all(len(c) == 6 and c.isdigit() for c in codes)
    assert len(codes) > 15  # random, not a counter

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
from sequence.ops.models import AuditEvent

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


def after_the_cooldown():
    return time_machine.travel(timezone.now() + timedelta(seconds=61))


def test_a_new_code_supersedes_the_old_one(alice):
    first, first_code = start(alice)
    with after_the_cooldown():
        second, second_code = start(alice)
        assert second.pk != first.pk
        with pytest.raises(services.SigninError):
            verify(first, alice, first_code)
        assert verify(second, alice, second_code) == alice


def test_a_superseded_challenge_gets_no_email(alice):
    first = services.signin_challenge_start(user=alice)
    with after_the_cooldown():
        services.signin_challenge_start(user=alice)
        email = OutboundEmail.objects.get(context__challenge_id=str(first.pk))
        assert services.signin_code_prepare_email(email) is None


def test_the_password_again_within_the_cooldown_reuses_the_open_challenge(alice):
    """Issue 14 item 3: no new email, no fresh tries, however often the right password comes."""
    first, code = start(alice)
    verify_wrong = [first, alice, wrong(code)]
    with pytest.raises(services.SigninError, match="4 tries left"):
        verify(*verify_wrong)
    again = services.signin_challenge_start(user=alice)
    assert again.pk == first.pk
    assert OutboundEmail.objects.filter(kind="signin_code").count() == 1
    with pytest.raises(services.SigninError, match="3 tries left"):
        verify(*verify_wrong)
    assert verify(again, alice, code) == alice


def test_a_dead_challenge_is_not_replaced_within_the_cooldown(alice):
    challenge, code = start(alice)
    for _ in range(5):
        with pytest.raises(services.SigninError):
            verify(challenge, alice, wrong(code))
    with pytest.raises(services.ResendTooSoon):
        services.signin_challenge_start(user=alice)
    assert OutboundEmail.objects.filter(kind="signin_code").count() == 1
    with after_the_cooldown():
        assert services.signin_challenge_start(user=alice).pk != challenge.pk


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


def test_wrong_codes_meet_doubling_delays_across_challenges(alice, settings):
    start_at = timezone.now()
    with time_machine.travel(start_at, tick=False) as traveller:
        challenge, code = start(alice)
        for _ in range(4):
            with pytest.raises(services.SigninError):
                verify(challenge, alice, wrong(code))
        traveller.shift(timedelta(seconds=61))
        challenge, code = start(alice)  # a fresh challenge: the account still remembers the 4
        with pytest.raises(services.SigninError, match="4 tries left"):
            verify(challenge, alice, wrong(code))  # 5th in a row: 1 s
        with pytest.raises(services.SigninError, match="wait 1 second "):
            verify(challenge, alice, code)  # not even the right code is looked at
        traveller.shift(timedelta(seconds=2))
        with pytest.raises(services.SigninError, match="3 tries left"):
            verify(challenge, alice, wrong(code))  # 6th in a row: 2 s
        traveller.shift(timedelta(seconds=1))
        with pytest.raises(services.SigninError, match="wait 1 second "):
            verify(challenge, alice, code)
        traveller.shift(timedelta(seconds=1))
        assert verify(challenge, alice, code) == alice
    alice.refresh_from_db()
    assert alice.wrong_codes == 0 and alice.codes_blocked_until is None


def test_125_wrong_codes_then_the_right_one_fails_until_a_password_reset(alice, settings):
    """Issue 14 item 3: at most 100 wrong codes per account, whatever the number of challenges."""
    settings.SIGNIN_MAX_DELAY_SECONDS = 1
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        for _ in range(25):  # 25 challenges x 4 wrong codes: each challenge could still take one more
            traveller.shift(timedelta(seconds=61))
            challenge, code = start(alice)
            for _ in range(4):
                traveller.shift(timedelta(seconds=2))
                with pytest.raises(services.SigninError):
                    verify(challenge, alice, wrong(code))
        for _ in range(25):
            traveller.shift(timedelta(seconds=2))
            with pytest.raises(services.SigninClosed):
                verify(challenge, alice, wrong(code))
        traveller.shift(timedelta(minutes=5))  # long past any delay, the code not yet expired
        with pytest.raises(services.SigninClosed):
            verify(challenge, alice, code)  # the right one, on a challenge with a try left
    alice.refresh_from_db()
    assert alice.wrong_codes == 100
    assert AuditEvent.objects.filter(action="signin.code_wrong").count() == 100
    assert AuditEvent.objects.filter(action="signin.account_locked", data__by="code").count() == 1

    services.password_changed(user=alice)  # what completing the emailed reset does
    challenge, code = start(alice)
    assert verify(challenge, alice, code) == alice

"""Issue 11 (C4, H1): an Invite Only strategy asked for without an invite is an eligibility request.

The client's form is stored, flagged and sealed but not checked; the queue shows and filters
the flag; an operator grants the invite (client page or queue), which resolves the flag and
lets verification go on against the simulated exchange, or refuses it.
"""

from __future__ import annotations

import time

import pytest
from django.test import Client
from procrastinate.contrib.django.models import ProcrastinateJob

from sequence.accounts.decorators import SECOND_FACTOR_AT
from sequence.catalog.services import invite_grant
from sequence.notifications.models import OutboundEmail
from sequence.onboarding import services as onboarding
from sequence.onboarding.models import Submission
from sequence.ops.models import AuditEvent, FlagResolution
from sequence.trading.models import Bot
from sequence.vault.models import Credential, SealedField
from tests.onboarding.helpers import catalog, exchange_key, form
from tests.ops.helpers import sign_in

pytestmark = pytest.mark.django_db
FLAG = "eligibility_request"


@pytest.fixture
def offerings(venue_settings):
    return catalog()


@pytest.fixture
def alice_in(alice):
    return sign_in(Client(), alice)


def ask(alice_in, alice, offerings, venue) -> tuple[Submission, object]:
    """Alice submits a real key for the Invite Only strategy, without an invite."""
    key = exchange_key(venue, coin="ETH", amount="5")
    response = alice_in.post("/submit/", form(alice, offerings["eth-accumulator@bybit"], key))
    assert response.status_code == 302, response.content.decode()[:2000]
    return Submission.objects.get(pk=response.url.rstrip("/").split("/")[-1]), key


def verify_jobs(submission) -> list[ProcrastinateJob]:
    return list(ProcrastinateJob.objects.filter(task_name="onboarding.verify_submission",
                                                args={"submission_id": str(submission.pk)}))


def queue_row(ops, submission, query="") -> str:
    html = ops.get("/ops/submissions/" + query).content.decode()
    marker = f'data-submission="{submission.pk}"'
    return html.split(marker)[1].split("</tr>")[0] if marker in html else ""


def test_the_request_is_stored_sealed_and_flagged_and_not_checked(alice_in, alice, offerings, venue):
    submission, key = ask(alice_in, alice, offerings, venue)
    assert submission.status == "eligibility" and submission.operator_flags == [FLAG]
    assert submission.credential_id and SealedField.objects.filter(credential=submission.credential).exists()
    assert Bot.objects.get(pk=submission.bot_id).status == "submitted"
    assert verify_jobs(submission) == []
    received = OutboundEmail.objects.get(kind="keys_received", user=alice)
    assert received.context["eligibility"] is True and received.context["contact_support"] is False
    page = alice_in.get(f"/submissions/{submission.pk}/").content.decode()
    assert "Waiting for an eligibility check" in page and "checking your eligibility" in page
    assert key.secret not in page
    dashboard = alice_in.get("/dashboard/").content.decode()
    row = dashboard.split(f'data-bot="{submission.bot_id}"')[1].split("</tr>")[0]
    assert "Waiting for an eligibility check" in row and "Invite Only" in row and ">Submitted<" not in row
    # neither the stuck-verification sweep nor a stray job checks it before an operator decides
    Submission.objects.filter(pk=submission.pk).update(created_at=submission.created_at.replace(year=2020))
    assert onboarding.verifications_requeue() == 0
    assert onboarding.submission_verify(submission_id=str(submission.pk)) == "eligibility"
    assert Submission.objects.get(pk=submission.pk).verification == {}


def test_the_queue_shows_the_flag_filters_by_it_and_will_not_just_resolve_it(ops, alice_in, alice, bob, offerings,
                                                                             venue):
    submission, _ = ask(alice_in, alice, offerings, venue)
    invite_grant(user=bob, strategy=submission.offering.strategy)
    plain, _ = ask(sign_in(Client(), bob), bob, offerings, venue)  # invited: no flag, checked at once
    assert plain.status == "submitted" and plain.operator_flags == [] and len(verify_jobs(plain)) == 1
    row = queue_row(ops, submission)
    assert "Eligibility request" in row and "Waiting for an eligibility check" in row
    assert ">Grant invite<" in row and ">Refuse<" in row
    assert queue_row(ops, submission, f"?flag={FLAG}") and not queue_row(ops, plain, f"?flag={FLAG}")
    assert queue_row(ops, submission, "?status=eligibility") and not queue_row(ops, plain, "?status=eligibility")
    response = ops.post(f"/ops/submissions/{submission.pk}/resolve/", {"flag": FLAG, "note": "ok"}, follow=True)
    assert "resolved by granting the invite or refusing it" in response.content.decode()
    assert not FlagResolution.objects.exists() and Submission.objects.get(pk=submission.pk).status == "eligibility"


def test_granting_the_invite_on_the_client_page_resolves_the_flag_and_verification_goes_on(
        ops, alice_in, alice, operator, offerings, venue):
    from sequence.onboarding.tasks import verify_submission

    submission, _ = ask(alice_in, alice, offerings, venue)
    strategy = submission.offering.strategy
    response = ops.post(f"/ops/clients/{alice.pk}/grant/", {"strategy": strategy.pk, "reason": "Known trader"},
                        follow=True)
    assert "1 eligibility request resolved" in response.content.decode()
    submission.refresh_from_db()
    assert submission.status == "submitted"
    resolution = FlagResolution.objects.get(submission=submission, flag=FLAG)
    assert resolution.resolved_by == operator and resolution.note == "Invite granted: Known trader"
    actions = set(AuditEvent.objects.filter(actor=operator).values_list("action", flat=True))
    assert {"catalog.invite_granted", "onboarding.eligibility_granted", "ops.flag_resolved"} <= actions
    (job,) = verify_jobs(submission)
    assert job.lock == f"bot:{submission.bot_id}"
    verify_submission(**job.args)  # the job's body, as the worker runs it: against the simulated exchange
    submission.refresh_from_db()
    assert submission.status == "verified", submission.verification
    assert Bot.objects.get(pk=submission.bot_id).status == "awaiting_launch"
    assert ">Resolve<" not in queue_row(ops, submission) and "resolved by operator@example.com" in queue_row(
        ops, submission)
    dashboard = alice_in.get("/dashboard/").content.decode()
    assert "Awaiting launch" in dashboard and "checking your eligibility" not in dashboard


def test_granting_from_the_queue_needs_a_reason_and_a_grant_made_elsewhere_is_caught_up(
        ops, alice_in, alice, offerings, venue):
    submission, _ = ask(alice_in, alice, offerings, venue)
    response = ops.post(f"/ops/submissions/{submission.pk}/grant/", {"note": "  "}, follow=True)
    assert "Write the reason first." in response.content.decode()
    assert Submission.objects.get(pk=submission.pk).status == "eligibility"
    # an invite already there (written outside the console) still releases the waiting request
    invite_grant(user=alice, strategy=submission.offering.strategy)
    response = ops.post(f"/ops/submissions/{submission.pk}/grant/", {"note": "Checked by phone"}, follow=True)
    assert "granted: the key is being checked" in response.content.decode()
    assert Submission.objects.get(pk=submission.pk).status == "submitted" and len(verify_jobs(submission)) == 1
    assert FlagResolution.objects.get(submission=submission).note == "Invite granted: Checked by phone"
    again = ops.post(f"/ops/submissions/{submission.pk}/grant/", {"note": "again"}, follow=True).content.decode()
    assert "not waiting for an eligibility check" in again and len(verify_jobs(submission)) == 1


def test_refusing_needs_a_recent_factor_and_an_answer_then_destroys_the_key_and_stops_the_bot(
        ops, alice_in, alice, operator, offerings, venue):
    submission, _ = ask(alice_in, alice, offerings, venue)
    url = f"/ops/submissions/{submission.pk}/refuse/"
    session = ops.session
    session[SECOND_FACTOR_AT] = time.time() - 16 * 60
    session.save()
    response = ops.post(url, {"note": "Not this time"})
    assert response.status_code == 302 and response.url == "/signin/confirm/"
    assert Submission.objects.get(pk=submission.pk).status == "eligibility"
    sign_in(ops, operator)
    response = ops.post(url, {"note": ""}, follow=True)
    assert "Write the answer to the client first." in response.content.decode()
    assert Submission.objects.get(pk=submission.pk).status == "eligibility"

    ops.post(url, {"note": "This strategy is for our existing partners only."})
    submission.refresh_from_db()
    assert submission.status == "not_eligible"
    assert Credential.objects.get(pk=submission.credential_id).destroyed_at is not None
    assert not SealedField.objects.filter(credential_id=submission.credential_id).exists()
    assert Bot.objects.get(pk=submission.bot_id).status == "stopped"
    assert FlagResolution.objects.get(submission=submission).note.startswith("Refused: This strategy")
    refused = AuditEvent.objects.get(action="onboarding.eligibility_refused")
    assert refused.actor == operator and refused.data["note"] == "This strategy is for our existing partners only."
    answer = OutboundEmail.objects.get(kind="ops_message", user=alice)
    assert answer.context["message"] == "This strategy is for our existing partners only."
    assert answer.context["subject"] == "Your request for ETH Accumulator (Invite Only)"
    assert verify_jobs(submission) == []
    dashboard = alice_in.get("/dashboard/").content.decode()
    assert "Not eligible (Invite Only)" in dashboard and "eligibility was not confirmed" in dashboard
    again = ops.post(url, {"note": "twice"}, follow=True).content.decode()
    assert "not waiting for an eligibility check" in again

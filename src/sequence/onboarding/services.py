"""Writes of onboarding: store a submission, verify it, hand a refresh over.

`submission_create` is one transaction: sealed credentials, the submission,
the bot, an audit event, the "keys received" email and the verification job.
If anything fails nothing is stored and nothing is sent.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from sequence.accounts.services import anti_phishing_code_set, user_lock
from sequence.catalog.selectors import connects_through_support, user_is_invited
from sequence.notifications.services import email_enqueue
from sequence.onboarding.models import Submission
from sequence.onboarding.selectors import ELIGIBILITY_FLAG
from sequence.ops.jobs import defer
from sequence.ops.services import audit_record
from sequence.trading import services as trading
from sequence.vault.services import credential_destroy, credential_open, credential_store

log = logging.getLogger(__name__)

OPEN_STATES = (Submission.Status.SUBMITTED, Submission.Status.VERIFYING, Submission.Status.NEEDS_ATTENTION,
               Submission.Status.ELIGIBILITY)
MAX_VERIFY_ATTEMPTS = 5


class EligibilityError(ValidationError):
    pass


def _defer_verification(submission: Submission) -> None:
    from sequence.onboarding.tasks import verify_submission

    # One lock per bot: verification never interleaves with another job on the same bot.
    defer(verify_submission, lock=f"bot:{submission.bot_id}", submission_id=str(submission.pk))


@transaction.atomic
def submission_create(*, user, data: dict, request=None) -> tuple[Submission, bool]:
    """Store one submitted form; returns (submission, created). A repeated form token returns the first."""
    # Lock order (sequence.ops.jobs): user -> bot -> submission. Only the user row: a double
    # click is serialised here.
    user_lock(user)
    existing = Submission.objects.filter(user=user, form_token=data["form_token"]).first()
    if existing is not None:
        return existing, False
    offering = data["offering"]
    exchange = offering.exchange
    # Read under the user's lock: an invite granted meanwhile releases this submission (or,
    # committed first, is seen here), see eligibility_release.
    invited = user_is_invited(user=user, strategy=offering.strategy)
    anti_phishing_code_set(user=user, code=data["anti_phishing_code"], request=request)

    if data["kind"] == Submission.Kind.REFRESH:
        bot = trading.bot_lock(bot_id=data["bot_obj"].pk, user=user)
    else:
        bot = trading.bot_create(user=user, offering=offering)

    flags: list[str] = []
    credential = None
    status = Submission.Status.SUBMITTED
    if connects_through_support(exchange):
        status = Submission.Status.CONTACT_SUPPORT
        flags.append("alternate_connection")
    else:
        credential = credential_store(owner=user, exchange=exchange.slug, fields=data["credential_values"],
                                      label=data.get("api_name", ""))
    if exchange.flag_for_operator:
        flags.append(f"{exchange.slug}_contact_support")
    if not invited:
        flags.append(ELIGIBILITY_FLAG)
        if status == Submission.Status.SUBMITTED:
            status = Submission.Status.ELIGIBILITY  # kept sealed, not checked, until an operator decides

    _supersede_open_submissions(bot)
    submission = Submission.objects.create(
        user=user, form_token=data["form_token"], kind=data["kind"], bot=bot, offering=offering,
        credential=credential, api_name=data.get("api_name", ""),
        key_tail=credential.key_tail if credential else "", status=status,
        funded_confirmed=data["funded"], terms_version=settings.TERMS_VERSION,
        risk_version=settings.RISK_DISCLOSURE_VERSION, agreed_at=timezone.now(), operator_flags=flags,
    )
    audit_record(actor=user, action=f"onboarding.submitted_{data['kind']}", target=submission, request=request,
                 data={"exchange": exchange.slug, "market": offering.market, "strategy": offering.strategy.slug,
                       "key_tail": submission.key_tail, "flags": flags, "terms": settings.TERMS_VERSION})
    support_needed = status == Submission.Status.CONTACT_SUPPORT or any(f != ELIGIBILITY_FLAG for f in flags)
    context = {"exchange": exchange.name, "strategy": offering.strategy.name, "market": offering.get_market_display(),
               "kind": data["kind"], "key_tail": submission.key_tail, "contact_support": support_needed,
               "exchange_notice": exchange.notice, "eligibility": not invited}
    email_enqueue(kind="keys_received", user=user, dedup_key=str(submission.pk), context=context)
    if status == Submission.Status.CONTACT_SUPPORT:
        email_enqueue(kind="support_connection_request", user=user, to=settings.SUPPORT_EMAIL,
                      dedup_key=str(submission.pk), context={**context, "client": user.email})
    elif status == Submission.Status.SUBMITTED:
        _defer_verification(submission)
    return submission, True


@transaction.atomic
def eligibility_release(*, user, strategy_id, actor, request=None) -> list[Submission]:
    """The client was granted an invite to the strategy: their submissions waiting for it go
    on to verification. Returns those submissions (the caller resolves their flag).

    The user's row is locked first, as ``submission_create`` does: a submission stored while
    the grant was being written is seen here once it commits, never left waiting.
    """
    user_lock(user)
    released = []
    waiting = Submission.objects.filter(user=user, offering__strategy_id=strategy_id,
                                        status=Submission.Status.ELIGIBILITY).values_list("pk", "bot_id")
    for pk, bot_id in waiting:
        trading.bot_lock(bot_id=bot_id)  # lock order: user -> bot -> submission
        submission = Submission.objects.select_for_update(of=("self",)).get(pk=pk)
        if submission.status != Submission.Status.ELIGIBILITY:
            continue
        submission.status = Submission.Status.SUBMITTED
        submission.verifying_since = timezone.now()  # "stuck" counts from here, not from the form
        submission.save(update_fields=["status", "verifying_since"])
        audit_record(actor=actor, action="onboarding.eligibility_granted", target=submission, request=request)
        _defer_verification(submission)
        released.append(submission)
    return released


@transaction.atomic
def eligibility_refuse(*, submission: Submission, actor, note: str, request=None) -> Submission:
    """An operator refused the client's eligibility request: the key is destroyed unused and a
    new bot (it never traded) is stopped. A refresh leaves its bot as it is, on its old key."""
    bot_id = Submission.objects.values_list("bot_id", flat=True).get(pk=submission.pk)
    bot = trading.bot_lock(bot_id=bot_id)  # lock order: bot -> submission
    submission = Submission.objects.select_for_update(of=("self",)).get(pk=submission.pk)
    if submission.status != Submission.Status.ELIGIBILITY:
        raise EligibilityError(f"This submission is not waiting for an eligibility check; it is "
                               f"“{submission.get_status_display()}”.")
    submission.status = Submission.Status.NOT_ELIGIBLE
    submission.save(update_fields=["status"])
    if submission.credential_id and submission.credential_id != bot.credential_id:
        credential_destroy(credential=submission.credential, reason="eligibility request refused")
    if submission.kind == Submission.Kind.NEW:
        trading.bot_stop(bot_id=bot_id, actor=actor, request=request)
    audit_record(actor=actor, action="onboarding.eligibility_refused", target=submission, request=request,
                 data={"note": note})
    return submission


def _supersede_open_submissions(bot) -> None:
    """A newer form replaces older ones still in flight; their unused keys are destroyed."""
    for old in Submission.objects.select_for_update(of=("self",)).filter(bot=bot, status__in=OPEN_STATES):
        old.status = Submission.Status.SUPERSEDED
        old.save(update_fields=["status"])
        if old.credential_id and old.credential_id != bot.credential_id:
            credential_destroy(credential=old.credential, reason="superseded by a newer submission")


@transaction.atomic
def submission_recheck(*, submission: Submission, user, request=None, actor=None) -> bool:
    """The client fixed the key on the exchange: verify again (``actor``: an operator doing it)."""
    bot_id = Submission.objects.values_list("bot_id", flat=True).get(pk=submission.pk, user=user)
    trading.bot_lock(bot_id=bot_id)  # lock order: bot -> submission
    submission = Submission.objects.select_for_update(of=("self",)).get(pk=submission.pk, user=user)
    if not _recheckable(submission):
        return False
    if submission.kind == Submission.Kind.NEW:
        trading.bot_verifying(bot_id=bot_id, actor=user)
    submission.status = Submission.Status.VERIFYING
    submission.verification_attempts = 0
    submission.verifying_since = timezone.now()
    submission.save(update_fields=["status", "verification_attempts", "verifying_since"])
    audit_record(actor=actor or user, action="onboarding.recheck_requested", target=submission, request=request)
    _defer_verification(submission)
    return True


def _recheckable(submission: Submission) -> bool:
    """"Check again": after a problem, or when verification has been stuck for too long."""
    if submission.status == Submission.Status.NEEDS_ATTENTION:
        return True
    return submission.status == Submission.Status.VERIFYING and verification_stuck(submission)


def verification_stuck(submission: Submission) -> bool:
    since = submission.verifying_since or submission.created_at
    return timezone.now() - since > timedelta(seconds=settings.VERIFY_STUCK_SECONDS)


def verifications_requeue() -> int:
    """Periodic: submissions "Verifying" for longer than VERIFY_STUCK_SECONDS get a new job."""
    cutoff = timezone.now() - timedelta(seconds=settings.VERIFY_STUCK_SECONDS)
    count = 0
    for sub in Submission.objects.filter(status__in=(Submission.Status.SUBMITTED, Submission.Status.VERIFYING),
                                         created_at__lt=cutoff):
        if (sub.verifying_since or sub.created_at) >= cutoff:
            continue
        with transaction.atomic():
            locked = Submission.objects.select_for_update(of=("self",)).get(pk=sub.pk)
            if locked.status not in (Submission.Status.SUBMITTED, Submission.Status.VERIFYING):
                continue
            locked.verifying_since = timezone.now()
            locked.verification_attempts = 0
            locked.save(update_fields=["verifying_since", "verification_attempts"])
            audit_record(actor=None, action="onboarding.verification_requeued", target=locked)
            _defer_verification(locked)
            count += 1
    return count


def submission_verify(*, submission_id: str) -> str:
    """Run by the verification job: check the key against the exchange and record what was found."""
    from sequence.onboarding.verification import VerificationUnavailable, check_submission

    with transaction.atomic():
        bot_id = Submission.objects.values_list("bot_id", flat=True).get(pk=submission_id)
        # lock order: bot -> submission; only those two rows (of=), never the offering or user
        trading.bot_lock(bot_id=bot_id)
        submission = Submission.objects.select_for_update(of=("self",)).select_related(
            "offering__strategy", "offering__exchange", "bot").get(pk=submission_id)
        if submission.status not in (Submission.Status.SUBMITTED, Submission.Status.VERIFYING):
            return submission.status
        if submission.kind == Submission.Kind.NEW:
            trading.bot_verifying(bot_id=bot_id)
        submission.status = Submission.Status.VERIFYING
        submission.verification_attempts += 1
        submission.verifying_since = timezone.now()
        submission.save(update_fields=["status", "verification_attempts", "verifying_since"])
    try:
        secrets = credential_open(credential=submission.credential, purpose="verify submission",
                                  actor="verification worker")
        outcome = check_submission(submission=submission, secrets=secrets)
    except VerificationUnavailable as exc:
        if submission.verification_attempts < MAX_VERIFY_ATTEMPTS:
            raise  # the job retries with back-off
        outcome = {"ok": False, "problems": [{"code": "exchange_unreachable", "message": str(exc)}], "facts": {}}
    except Exception:
        # Never leave a client's submission stuck in "verifying": say so, and keep the trace for us.
        log.exception("verification of submission %s failed unexpectedly", submission_id)
        outcome = {"ok": False, "facts": {}, "problems": [{"code": "internal_error", "message": (
            "We could not finish checking your key because of an error on our side. The trading team "
            "has been told; you can also press “Check again” in a few minutes.")}]}
    return submission_record_verification(submission_id=submission_id, outcome=outcome)


@transaction.atomic
def submission_record_verification(*, submission_id: str, outcome: dict) -> str:
    bot_id = Submission.objects.values_list("bot_id", flat=True).get(pk=submission_id)
    bot = trading.bot_lock(bot_id=bot_id)  # lock order: bot -> submission
    submission = Submission.objects.select_for_update(of=("self",)).select_related(
        "offering__exchange", "offering__strategy").get(pk=submission_id)
    if submission.status != Submission.Status.VERIFYING:
        return submission.status  # superseded meanwhile: its result no longer matters
    now = timezone.now()
    submission.verification = {**outcome, "checked_at": now.isoformat()}
    context = {"exchange": submission.offering.exchange.name, "strategy": submission.offering.strategy.name,
               "market": submission.offering.get_market_display(), "key_tail": submission.key_tail}
    if outcome["ok"]:
        submission.status = Submission.Status.VERIFIED
        submission.verified_at = now
        expires = outcome.get("facts", {}).get("expires_at")
        bot, old_credential = trading.bot_credential_verified(
            bot_id=bot.pk, credential=submission.credential,
            expires_at=datetime.fromisoformat(expires) if expires else now + timedelta(days=settings.KEY_VALIDITY_DAYS),
            expiry_source="exchange" if expires else "assumed", first_key=submission.kind == Submission.Kind.NEW)
        if old_credential is not None:
            credential_destroy(credential=old_credential, reason="replaced by an API refresh")
            email_enqueue(kind="api_refreshed", user=submission.user, dedup_key=str(submission.pk),
                          context=context)
        action = "onboarding.verified"
    else:
        submission.status = Submission.Status.NEEDS_ATTENTION
        if submission.kind == Submission.Kind.NEW:
            trading.bot_attention(bot_id=bot.pk, reason="the API key did not pass verification")
        email_enqueue(kind="keys_issue", user=submission.user,
                      dedup_key=f"{submission.pk}:{submission.verification_attempts}:{now.timestamp()}",
                      context={**context, "problems": outcome["problems"], "kind": submission.kind})
        action = "onboarding.verification_failed"
    submission.save(update_fields=["status", "verification", "verified_at"])
    audit_record(actor=None, action=action, target=submission,
                 data={"problems": [p["code"] for p in outcome.get("problems", [])]})
    return submission.status

"""The operator's actions from the console: each one service call, audited with the operator.

Bot moves (launch, pause, resume, stop, a version move) are the trading app's services,
called with the operator as actor (they write their own audit events). The rest is here:
check again, ask for new keys, message the client, resolve a flag, retry a dead-letter email,
grant or revoke an invite, refuse an eligibility request (granting the invite accepts it).
Operator text goes into emails from the trading team; it is kept in the outbox row and the
audit event (it holds no secret: operators never see one).
"""

from __future__ import annotations

import uuid

from django.core.exceptions import ValidationError
from django.db import transaction

from sequence.accounts.services import user_lock
from sequence.catalog import services as catalog
from sequence.notifications.services import email_enqueue, email_retry
from sequence.onboarding import services as onboarding
from sequence.ops.models import FlagResolution
from sequence.ops.services import audit_record
from sequence.trading.statuses import SubmissionStatus

MAX_TEXT = 4000


class ActionError(ValueError):
    """An operator's action that cannot be done, with a sentence saying why."""


def _text(text: str, what: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ActionError(f"Write the {what} first.")
    if len(text) > MAX_TEXT:
        raise ActionError(f"The {what} is too long ({len(text)} characters, at most {MAX_TEXT}).")
    return text


def _bot_context(bot) -> dict:
    offering = bot.offering
    return {"exchange": offering.exchange.name, "strategy": offering.strategy.name,
            "market": offering.get_market_display()}


def submission_check_again(*, submission, operator, request=None) -> None:
    if not onboarding.submission_recheck(submission=submission, user=submission.user, request=request,
                                         actor=operator):
        raise ActionError("Check again works on a submission that needs attention or whose check is stuck; "
                          f"this one is “{submission.get_status_display()}”.")


@transaction.atomic
def keys_request(*, bot, operator, text: str, request=None) -> None:
    """Ask the client for new keys: an email from the trading team with the operator's text."""
    text = _text(text, "message to the client")
    email_enqueue(kind="ops_keys_requested", user=bot.user, dedup_key=uuid.uuid4().hex,
                  context={**_bot_context(bot), "message": text})
    audit_record(actor=operator, action="ops.keys_requested", target=bot, request=request,
                 data={"client": bot.user.email, "message": text})


@transaction.atomic
def client_message(*, user, operator, subject: str, text: str, request=None) -> None:
    text = _text(text, "message")
    subject = _text(subject, "subject")[:150]
    email_enqueue(kind="ops_message", user=user, dedup_key=uuid.uuid4().hex,
                  context={"subject": subject, "message": text})
    audit_record(actor=operator, action="ops.client_messaged", target=user, request=request,
                 data={"client": user.email, "subject": subject, "message": text})


@transaction.atomic
def flag_resolve(*, submission, flag: str, operator, note: str = "", request=None) -> FlagResolution:
    if flag not in submission.operator_flags:
        raise ActionError("This submission has no such flag.")
    if flag == onboarding.ELIGIBILITY_FLAG and submission.status == SubmissionStatus.ELIGIBILITY:
        # resolving it is a decision: the client's key is verified, or destroyed
        raise ActionError("An eligibility request is resolved by granting the invite or refusing it.")
    return _resolved(submission=submission, flag=flag, operator=operator, note=note, request=request)


def _resolved(*, submission, flag: str, operator, note: str, request=None) -> FlagResolution:
    resolution, created = FlagResolution.objects.get_or_create(
        submission=submission, flag=flag, defaults={"note": note.strip()[:MAX_TEXT], "resolved_by": operator})
    if not created:
        raise ActionError("This flag is already resolved.")
    audit_record(actor=operator, action="ops.flag_resolved", target=submission, request=request,
                 data={"flag": flag, "note": resolution.note})
    return resolution


def eligibility_grant(*, submission, operator, reason: str, request=None) -> None:
    """Accept an eligibility request from the queue: the invite to its strategy is granted."""
    if submission.status != SubmissionStatus.ELIGIBILITY:
        raise ActionError("This submission is not waiting for an eligibility check; "
                          f"it is “{submission.get_status_display()}”.")
    invite_grant(user=submission.user, strategy=submission.offering.strategy, operator=operator, reason=reason,
                 request=request)


@transaction.atomic
def eligibility_refuse(*, submission, operator, text: str, request=None) -> None:
    """Refuse an eligibility request: the key is destroyed unused, a new bot stopped, the flag
    resolved, and the client gets the operator's words from the trading team."""
    text = _text(text, "answer to the client")
    try:
        onboarding.eligibility_refuse(submission=submission, actor=operator, note=text, request=request)
    except onboarding.EligibilityError as exc:
        raise as_action_error(exc) from None
    _resolved(submission=submission, flag=onboarding.ELIGIBILITY_FLAG, operator=operator,
              note=f"Refused: {text}", request=request)
    strategy = submission.offering.strategy.name
    email_enqueue(kind="ops_message", user=submission.user, dedup_key=f"eligibility:{submission.pk}",
                  context={"subject": f"Your request for {strategy} (Invite Only)", "message": text})


@transaction.atomic
def dead_email_retry(*, email_id: int, operator, request=None) -> None:
    try:
        email = email_retry(email_id=email_id)
    except ValueError as exc:
        raise ActionError(str(exc)) from None
    audit_record(actor=operator, action="ops.email_retried", target=email, request=request,
                 data={"kind": email.kind, "client": email.user.email})


@transaction.atomic
def invite_grant(*, user, strategy, operator, reason: str, request=None) -> int:
    """Grant the invite; the client's submissions waiting for it have their eligibility flag
    resolved and go on to verification. Returns how many did."""
    reason = _text(reason, "reason")
    user_lock(user)  # first, as a submission does (lock order user -> bot -> submission): see eligibility_release
    catalog.invite_grant(user=user, strategy=strategy, actor=operator, reason=reason, request=request)
    released = onboarding.eligibility_release(user=user, strategy_id=strategy.pk, actor=operator, request=request)
    for submission in released:
        _resolved(submission=submission, flag=onboarding.ELIGIBILITY_FLAG, operator=operator,
                  note=f"Invite granted: {reason}", request=request)
    return len(released)


def invite_revoke(*, user, strategy, operator, reason: str, request=None) -> None:
    reason = _text(reason, "reason")
    if not catalog.invite_revoke(user=user, strategy=strategy, actor=operator, reason=reason, request=request):
        raise ActionError("This client has no invite to that strategy.")


def as_action_error(exc: ValidationError) -> ActionError:
    return ActionError(" ".join(exc.messages))

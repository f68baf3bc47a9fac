"""Reads of the console: the submission queue, a bot's page, clients, the audit log, the home counts.

Each page's rows come from a fixed number of queries whatever the number of rows (tests count
them): related rows are joined or prefetched, never read per row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q
from django.utils import timezone

from sequence.accounts import selectors as accounts
from sequence.catalog import selectors as catalog
from sequence.notifications import selectors as notifications
from sequence.onboarding import selectors as onboarding
from sequence.ops.models import AuditEvent, FlagResolution
from sequence.trading import selectors as trading
from sequence.trading.statuses import BotStatus, SubmissionStatus

# Other apps' rows (users, bots, submissions, emails, strategies) come through their selectors;
# an import-linter contract keeps this app away from their models.
Row = Any

# The five checks of a verification, and the problem codes of the exchange layer that fail each.
CHECKS: dict[str, tuple[str, frozenset[str]]] = {
    "works": ("Key works", frozenset({"key_invalid", "exchange_error", "exchange_unreachable",
                                      "exchange_unavailable", "internal_error"})),
    "trade_only": ("Trade-only", frozenset({"withdraw_permission", "transfer_permission",
                                            "permission_not_accepted", "trade_permission_missing"})),
    "ip": ("IP whitelist", frozenset({"ip_whitelist_missing", "ip_whitelist_mismatch", "ip_not_allowed"})),
    "balance": ("Balance", frozenset({"insufficient_funds"})),
    "expiry": ("Expiry", frozenset({"key_expired"})),
}
FLAG_LABELS = {
    "kraken_contact_support": "Kraken: contact the client",
    "alternate_connection": "Binance: alternate connection",
    onboarding.ELIGIBILITY_FLAG: "Eligibility request",
}
EXPIRY_WINDOW_DAYS = 14


def flag_label(flag: str) -> str:
    return FLAG_LABELS.get(flag, flag.replace("_", " ").capitalize())


@dataclass(frozen=True)
class Check:
    name: str
    label: str
    state: str  # "ok", "failed", "not checked"


@dataclass
class QueueRow:
    submission: Row
    checks: list[Check]
    flags: list[tuple[str, str, FlagResolution | None]]  # (flag, label, its resolution)
    actions: list[str] = field(default_factory=list)

    @property
    def open_flags(self) -> int:
        return sum(1 for _, _, r in self.flags if r is None)


def checks_of(submission) -> list[Check]:
    checked = bool(submission.verification.get("checked_at"))
    codes = {p.get("code") for p in submission.problems}
    out = []
    for name, (label, failing) in CHECKS.items():
        state = "not checked" if not checked else ("failed" if codes & failing else "ok")
        out.append(Check(name, label, state))
    return out


def queue(*, status: str = "", exchange: str = "", flag: str = "", limit: int, offset: int) -> list[QueueRow]:
    """Submissions newest first, with their checks, flags (resolved or not) and the bot's buttons:
    ``limit`` of them from ``offset`` on."""
    subs = onboarding.submissions_for_queue(status=status, exchange=exchange, flag=flag, limit=limit, offset=offset)
    resolved: dict[tuple, FlagResolution] = {
        (r.submission_id, r.flag): r
        for r in FlagResolution.objects.filter(submission__in=subs).select_related("resolved_by")}
    rows = []
    for s in subs:
        flags = [(f, flag_label(f), resolved.get((s.pk, f))) for f in s.operator_flags]
        rows.append(QueueRow(s, checks_of(s), flags, trading.actions_for(s.bot)))
    return rows


def queue_filters() -> dict:
    return {"statuses": SubmissionStatus.choices,
            "exchanges": catalog.exchange_choices(),
            "flags": list(FLAG_LABELS.items())}


def submission(pk):
    return onboarding.submission_for_operator(pk)


@dataclass(frozen=True)
class BotPage:
    bot: Row
    live: trading.LiveView
    history: list[AuditEvent]
    actions: list[str]
    versions: list[Row]
    anti_phishing_set: bool
    days_to_expiry: int | None


def bot_page(pk) -> BotPage | None:
    bot = trading.bot_for_operator(pk)
    if bot is None:
        return None
    history = list(AuditEvent.objects.filter(target_type="trading.bot", target_id=str(bot.pk))
                   .order_by("-created_at", "-id")[:100])
    versions = catalog.strategy_versions(bot.offering.strategy_id)
    # counted as the dashboard and the reminders count them: the three never differ by a day
    days = onboarding.key_days_left(bot.key_expires_at, timezone.now()) if bot.key_expires_at else None
    return BotPage(bot, trading.bot_live(bot, fills=25, events=25), history, trading.actions_for(bot),
                   versions, bool(bot.user.anti_phishing_code), days)


def bots(*, status: str = "") -> list[Row]:
    out = trading.bots_for_operator()
    return [b for b in out if b.status == status] if status else out


@dataclass(frozen=True)
class ClientRow:
    client: Row
    bots: list[Row]


def clients(*, q: str = "", limit: int = 200) -> list[ClientRow]:
    """Clients by email or name, each with their bots (two queries whatever their number)."""
    users = accounts.clients_search(q=q, limit=limit)
    by_user = trading.bots_by_user(u.pk for u in users)
    return [ClientRow(u, by_user.get(u.pk, [])) for u in users]


@dataclass(frozen=True)
class ClientPage:
    client: Row
    bots: list[Row]
    submissions: list[Row]
    emails: list[Row]
    audit: list[AuditEvent]
    grants: list[Row]
    invite_strategies: list[Row]


def client_page(pk) -> ClientPage | None:
    user = accounts.client_by_id(pk)
    if user is None:
        return None
    bots_of = trading.bots_of(user)
    sub_ids = onboarding.submission_ids_of(user)
    audit = AuditEvent.objects.filter(
        Q(actor_id=user.pk) | Q(target_type="accounts.user", target_id=str(user.pk))
        | Q(target_type="trading.bot", target_id__in=[str(b.pk) for b in bots_of])
        | Q(target_type="onboarding.submission", target_id__in=sub_ids)).order_by("-created_at", "-id")
    return ClientPage(
        client=user,
        bots=bots_of,
        submissions=onboarding.submissions_of(user),
        emails=notifications.emails_of(user, limit=100),
        audit=list(audit[:100]),
        grants=catalog.invite_grants_of(user),
        invite_strategies=catalog.invite_only_strategies(),
    )


@dataclass(frozen=True)
class AuditFilter:
    actor: str = ""
    target: str = ""
    kind: str = ""
    since: datetime | None = None
    until: datetime | None = None


def audit_events(f: AuditFilter):
    """The audit log, newest first, filtered (a queryset: the page slices it, the CSV streams it)."""
    qs = AuditEvent.objects.order_by("-created_at", "-id")
    if f.actor:
        qs = qs.filter(actor_label__icontains=f.actor)
    if f.target:
        qs = qs.filter(Q(target_id__icontains=f.target) | Q(target_type__icontains=f.target))
    if f.kind:
        qs = qs.filter(action__startswith=f.kind)
    if f.since:
        qs = qs.filter(created_at__gte=f.since)
    if f.until:
        qs = qs.filter(created_at__lt=f.until)
    return qs


@dataclass(frozen=True)
class Attention:
    expiring: list[Row]
    dead_emails: list[Row]
    open_flags: int
    awaiting_launch: int
    open_notices: list = field(default_factory=list)  # compliance: withdrawal notices still open
    open_alerts: list = field(default_factory=list)  # compliance: alerts nobody handled yet


def attention() -> Attention:
    """H3: what needs the team, in one place (the console's home page)."""
    soon = timezone.now() + timedelta(days=EXPIRY_WINDOW_DAYS)
    expiring = trading.bots_expiring(before=soon)
    dead = notifications.dead_emails(limit=100)
    resolved = set(FlagResolution.objects.values_list("submission_id", "flag"))
    open_flags = sum(1 for pk, flags in onboarding.flags_in_flight() for f in flags if (pk, f) not in resolved)
    from sequence.compliance import selectors as compliance

    return Attention(expiring, dead, open_flags, trading.bots_count(status=BotStatus.AWAITING_LAUNCH),
                     [n for n in compliance.notices_for_operator() if n.is_open],
                     compliance.alerts_for_operator(status="open"))

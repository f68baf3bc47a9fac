"""Reads of the console: the submission queue, a bot's page, clients, the audit log, the home counts.

Each page's rows come from a fixed number of queries whatever the number of rows (tests count
them): related rows are joined or prefetched, never read per row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Prefetch, Q
from django.utils import timezone

from sequence.accounts.models import User
from sequence.catalog.models import Exchange, InviteGrant, Strategy, StrategyVersion
from sequence.notifications.models import OutboundEmail
from sequence.onboarding.models import Submission
from sequence.ops.models import AuditEvent, FlagResolution
from sequence.trading import selectors as trading
from sequence.trading.models import Bot
from sequence.trading.statuses import BotStatus

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
    "eligibility_request": "Eligibility request",
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
    submission: Submission
    checks: list[Check]
    flags: list[tuple[str, str, FlagResolution | None]]  # (flag, label, its resolution)
    actions: list[str] = field(default_factory=list)

    @property
    def open_flags(self) -> int:
        return sum(1 for _, _, r in self.flags if r is None)


def checks_of(submission: Submission) -> list[Check]:
    checked = bool(submission.verification.get("checked_at"))
    codes = {p.get("code") for p in submission.problems}
    out = []
    for name, (label, failing) in CHECKS.items():
        state = "not checked" if not checked else ("failed" if codes & failing else "ok")
        out.append(Check(name, label, state))
    return out


def queue(*, status: str = "", exchange: str = "", flag: str = "", limit: int = 200) -> list[QueueRow]:
    """Submissions newest first, with their checks, flags (resolved or not) and the bot's buttons."""
    qs = (Submission.objects.select_related("user", "offering__strategy", "offering__exchange", "bot")
          .order_by("-created_at"))
    if status:
        qs = qs.filter(status=status)
    if exchange:
        qs = qs.filter(offering__exchange_id=exchange)
    if flag:
        qs = qs.filter(operator_flags__contains=[flag])
    subs = list(qs[:limit])
    resolved: dict[tuple, FlagResolution] = {
        (r.submission_id, r.flag): r
        for r in FlagResolution.objects.filter(submission__in=subs).select_related("resolved_by")}
    rows = []
    for s in subs:
        flags = [(f, flag_label(f), resolved.get((s.pk, f))) for f in s.operator_flags]
        rows.append(QueueRow(s, checks_of(s), flags, trading.actions_for(s.bot)))
    return rows


def queue_filters() -> dict:
    return {"statuses": Submission.Status.choices,
            "exchanges": list(Exchange.objects.values_list("slug", "name")),
            "flags": list(FLAG_LABELS.items())}


def submission(pk) -> Submission | None:
    return (Submission.objects.select_related("user", "offering__strategy", "offering__exchange", "bot")
            .filter(pk=pk).first())


@dataclass(frozen=True)
class BotPage:
    bot: Bot
    live: trading.LiveView
    history: list[AuditEvent]
    actions: list[str]
    versions: list[StrategyVersion]
    anti_phishing_set: bool
    days_to_expiry: int | None


def bot_page(pk) -> BotPage | None:
    bot = trading.bot_for_operator(pk)
    if bot is None:
        return None
    history = list(AuditEvent.objects.filter(target_type="trading.bot", target_id=str(bot.pk))
                   .order_by("-created_at", "-id")[:100])
    versions = list(StrategyVersion.objects.filter(strategy_id=bot.offering.strategy_id).order_by("-version"))
    days = (bot.key_expires_at - timezone.now()).days if bot.key_expires_at else None
    return BotPage(bot, trading.bot_live(bot, fills=25, events=25), history, trading.actions_for(bot),
                   versions, bool(bot.user.anti_phishing_code), days)


def bots(*, status: str = "") -> list[Bot]:
    out = trading.bots_for_operator()
    return [b for b in out if b.status == status] if status else out


def clients(*, q: str = "", limit: int = 200) -> list[User]:
    qs = User.objects.filter(is_staff=False).order_by("email")
    if q:
        qs = qs.filter(Q(email__icontains=q) | Q(full_name__icontains=q))
    return list(qs.prefetch_related(Prefetch("bots", queryset=Bot.objects.select_related(
        "offering__strategy", "offering__exchange")))[:limit])


@dataclass(frozen=True)
class ClientPage:
    client: User
    bots: list[Bot]
    submissions: list[Submission]
    emails: list[OutboundEmail]
    audit: list[AuditEvent]
    grants: list[InviteGrant]
    invite_strategies: list[Strategy]


def client_page(pk) -> ClientPage | None:
    user = User.objects.filter(pk=pk, is_staff=False).first()
    if user is None:
        return None
    bot_ids = [str(b) for b in Bot.objects.filter(user=user).values_list("pk", flat=True)]
    sub_ids = [str(s) for s in Submission.objects.filter(user=user).values_list("pk", flat=True)]
    audit = AuditEvent.objects.filter(
        Q(actor_id=user.pk) | Q(target_type="accounts.user", target_id=str(user.pk))
        | Q(target_type="trading.bot", target_id__in=bot_ids)
        | Q(target_type="onboarding.submission", target_id__in=sub_ids)).order_by("-created_at", "-id")
    return ClientPage(
        client=user,
        bots=list(Bot.objects.filter(user=user).select_related("offering__strategy", "offering__exchange")),
        submissions=list(Submission.objects.filter(user=user).select_related("offering__strategy",
                                                                             "offering__exchange")),
        emails=list(OutboundEmail.objects.filter(user=user).order_by("-created_at")[:100]),
        audit=list(audit[:100]),
        grants=list(InviteGrant.objects.filter(user=user).select_related("strategy", "granted_by")),
        invite_strategies=list(Strategy.objects.filter(invite_only=True)),
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
    expiring: list[Bot]
    dead_emails: list[OutboundEmail]
    open_flags: int
    awaiting_launch: int
    open_notices: list = field(default_factory=list)  # compliance: withdrawal notices still open
    open_alerts: list = field(default_factory=list)  # compliance: alerts nobody handled yet


def attention() -> Attention:
    """H3: what needs the team, in one place (the console's home page)."""
    soon = timezone.now() + timedelta(days=EXPIRY_WINDOW_DAYS)
    expiring = list(Bot.objects.filter(key_expires_at__lte=soon).exclude(status=BotStatus.STOPPED)
                    .select_related("user", "offering__strategy", "offering__exchange").order_by("key_expires_at"))
    dead = list(OutboundEmail.objects.filter(status=OutboundEmail.Status.DEAD).select_related("user")
                .order_by("-created_at")[:100])
    resolved = set(FlagResolution.objects.values_list("submission_id", "flag"))
    flagged = Submission.objects.exclude(operator_flags=[]).exclude(status=Submission.Status.SUPERSEDED)
    open_flags = sum(1 for pk, flags in flagged.values_list("pk", "operator_flags")
                     for f in flags if (pk, f) not in resolved)
    from sequence.compliance import selectors as compliance

    return Attention(expiring, dead, open_flags, Bot.objects.filter(status=BotStatus.AWAITING_LAUNCH).count(),
                     [n for n in compliance.notices_for_operator() if n.is_open],
                     compliance.alerts_for_operator(status="open"))

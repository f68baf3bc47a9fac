"""The audit log (H4): browse and filter by actor, target, kind and date; export as CSV.

Audit rows hold no secret (services write tails at most), and the CSV carries the same
columns as the page. A cell that a spreadsheet would run as a formula is prefixed with ``'``.
"""

from __future__ import annotations

import csv
import json
from datetime import datetime, time, timedelta

from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone

from sequence.ops import selectors
from sequence.ops.access import staff_required

PAGE = 200
COLUMNS = ["time", "actor", "action", "target_type", "target_id", "ip", "data"]


def _day(value: str, *, end: bool = False) -> datetime | None:
    try:
        day = datetime.strptime(value.strip(), "%Y-%m-%d").date()
    except ValueError:
        return None
    moment = timezone.make_aware(datetime.combine(day, time.min))
    return moment + timedelta(days=1) if end else moment


def _filter(request) -> tuple[selectors.AuditFilter, dict]:
    g = request.GET
    raw = {k: g.get(k, "").strip()[:100] for k in ("actor", "target", "kind", "since", "until")}
    f = selectors.AuditFilter(actor=raw["actor"], target=raw["target"], kind=raw["kind"],
                              since=_day(raw["since"]), until=_day(raw["until"], end=True))
    return f, raw


@staff_required
def audit_log(request):
    f, raw = _filter(request)
    bad = [k for k in ("since", "until") if raw[k] and _day(raw[k]) is None]
    events = list(selectors.audit_events(f)[:PAGE + 1])
    return render(request, "ops/audit.html", {"events": events[:PAGE], "more": len(events) > PAGE, "raw": raw,
                                              "bad_dates": bad, "query": request.GET.urlencode()})


def _cell(value: str) -> str:
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


class _Echo:
    def write(self, value):
        return value


@staff_required
def audit_csv(request):
    f, _ = _filter(request)
    writer = csv.writer(_Echo())

    def rows():
        yield writer.writerow(COLUMNS)
        for e in selectors.audit_events(f).iterator(chunk_size=500):
            yield writer.writerow([_cell(str(v)) for v in (
                e.created_at.isoformat(), e.actor_label, e.action, e.target_type, e.target_id,
                e.ip_address or "", json.dumps(e.data, sort_keys=True, default=str))])

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="audit-log.csv"'
    return response

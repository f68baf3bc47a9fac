"""Issue 11 item 7 (H4): audit rows are append-only in the database; the log is filtered and exported."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from sequence.accounts.models import User
from sequence.ops.models import AuditEvent
from sequence.ops.services import audit_record

pytestmark = pytest.mark.django_db


def refused(sql: str, params=()) -> str:
    with pytest.raises(DatabaseError) as info, transaction.atomic(), connection.cursor() as cur:
        cur.execute(sql, params)
    return str(info.value)


def test_audit_rows_cannot_be_updated_or_deleted_even_with_raw_sql(alice):
    event = audit_record(actor=alice, action="test.something", target=alice, data={"a": 1})
    assert "append-only (UPDATE refused)" in refused(
        "UPDATE ops_auditevent SET action = 'forged' WHERE id = %s", [event.pk])
    assert "append-only (DELETE refused)" in refused("DELETE FROM ops_auditevent WHERE id = %s", [event.pk])
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action="forged")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.get(pk=event.pk).action == "test.something"


def test_a_deleted_user_leaves_their_events_intact(make_user):
    carol = make_user("carol@example.com")
    audit_record(actor=carol, action="test.by_carol")
    carol_id = carol.pk
    carol.delete()  # no cascade to audit rows: the trigger would refuse it, and it never comes
    assert not User.objects.filter(pk=carol_id).exists()
    event = AuditEvent.objects.get(action="test.by_carol")
    assert event.actor_label == "carol@example.com" and event.actor_id == carol_id


def test_the_log_filters_by_actor_target_kind_and_date(ops, alice, bob, operator):
    audit_record(actor=alice, action="bot.paused", target=bob, data={"from": "live", "to": "paused"})
    audit_record(actor=bob, action="onboarding.submitted_new")
    html = ops.get("/ops/audit/?actor=alice").content.decode()
    assert "bot.paused" in html and "onboarding.submitted_new" not in html and "live → paused" in html
    assert "onboarding.submitted_new" in ops.get("/ops/audit/?kind=onboarding.").content.decode()
    assert "bot.paused" not in ops.get("/ops/audit/?kind=onboarding.").content.decode()
    assert "bot.paused" in ops.get(f"/ops/audit/?target={bob.pk}&kind=bot.").content.decode()
    today = timezone.localdate()
    assert "bot.paused" in ops.get(f"/ops/audit/?since={today}&until={today}").content.decode()
    tomorrow = today + timedelta(days=1)
    assert "bot.paused" not in ops.get(f"/ops/audit/?since={tomorrow}").content.decode()
    bad = ops.get("/ops/audit/?since=yesterday")
    assert bad.status_code == 200 and "Dates are written YYYY-MM-DD" in bad.content.decode()


def test_the_csv_export_has_every_matching_event_and_defuses_formulas(ops, alice):
    audit_record(actor=alice, action="=cmd|' /C calc'!A0", data={"x": 1})
    audit_record(actor=alice, action="bot.paused")
    response = ops.get("/ops/audit/export.csv?actor=alice")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == ["time", "actor", "action", "target_type", "target_id", "ip", "data"]
    actions = {r[2] for r in rows[1:]}
    assert actions == {"'=cmd|' /C calc'!A0", "bot.paused"}

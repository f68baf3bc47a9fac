"""Issue 14 item 5 (SECURITY.md T9, ASVS 6.3.8): a known email and an unknown one get the same
answers after the same work: the same SQL statements, the same password-hash checks, the same jobs.
The timing figures are in tests/soak/test_signin_timing.py and test_reset_timing.py."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.hashers import Argon2PasswordHasher
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from procrastinate.contrib.django.models import ProcrastinateJob

from sequence.accounts.backends import _stand_in_hash
from tests.accounts.helpers import post_password

pytestmark = pytest.mark.django_db

LITERAL = re.compile(r"'(?:[^']|'')*'|\b\d+(?:\.\d+)?\b")


SAVEPOINT = re.compile(r'"s\d+_x\d+"')


def shape(sql: str) -> str:
    """A statement without its values: which tables, which columns, which clauses."""
    return LITERAL.sub("?", SAVEPOINT.sub("savepoint", sql))


@pytest.fixture
def hash_checks(monkeypatch):
    """Counts the password-hash verifications (the hasher still runs: a spy, not a fake)."""
    calls = []
    real = Argon2PasswordHasher.verify

    def counting(self, password, encoded):
        calls.append(1)
        return real(self, password, encoded)

    monkeypatch.setattr(Argon2PasswordHasher, "verify", counting)
    _stand_in_hash()  # made once per process, before anything is counted
    return calls


def work_of(action, hash_checks) -> dict:
    last_job = max(ProcrastinateJob.objects.values_list("id", flat=True), default=0)
    hash_checks.clear()
    with CaptureQueriesContext(connection) as queries:
        response = action()
    return {
        "status": response.status_code,
        "sql": [shape(q["sql"]) for q in queries.captured_queries],
        "hash_checks": len(hash_checks),
        "jobs": list(ProcrastinateJob.objects.filter(id__gt=last_job).values_list("task_name", flat=True)),
    }


def test_wrong_passwords_cost_the_same_for_known_and_unknown_emails(alice, hash_checks):
    known, unknown = [], []
    for n in range(8):  # through the free tries, into the delays and the lockout per address
        for email, seen in (("alice@example.com", known), ("nobody@example.com", unknown)):
            client = Client(REMOTE_ADDR=f"10.7.{n % 2}.1")
            seen.append(work_of(lambda c=client, e=email: post_password(c, e, "guess guess"), hash_checks))
    assert [w["hash_checks"] for w in known][:5] == [1] * 5  # the check that was there is counted
    assert {w["status"] for w in known} == {200, 429}
    for n, (k, u) in enumerate(zip(known, unknown, strict=True)):
        assert k["sql"] == u["sql"], f"attempt {n + 1} differs"
        assert k == u, f"attempt {n + 1} differs"


def test_password_reset_costs_the_same_for_known_and_unknown_emails(alice, bob, hash_checks):
    known = work_of(lambda: Client().post("/password/reset/", {"email": "alice@example.com"}), hash_checks)
    unknown = work_of(lambda: Client().post("/password/reset/", {"email": "nobody@example.com"}), hash_checks)
    assert known["jobs"] == ["accounts.password_reset_request"]  # the email is the job's work
    assert known == unknown
    # and the pages say the same
    page = Client().post("/password/reset/", {"email": "bob@example.com"}).content
    assert page == Client().post("/password/reset/", {"email": "nobody2@example.com"}).content

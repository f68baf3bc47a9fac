"""Backup and restore rehearsed at a larger size (make soak): SOAK_RESTORE_BOTS bots (default 9:
Bybit and OKX derivatives and Bybit spot, three of each), a busier outbox, SOAK_RESTORE_AFTER
seconds (default 30) of trading and mailing between the dump and the loss, and every step of
docs/deploy.md's restore, `sequence migrate` included. The scenario and its checks are
tests/runtime/test_backup_restore.py's."""

from __future__ import annotations

import os

import pytest

from tests.runtime import test_backup_restore as rehearsal_test

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def rehearsal(tmp_path_factory):
    facts = rehearsal_test.rehearse(
        tmp_path_factory.mktemp("restore-soak"), bots=int(os.environ.get("SOAK_RESTORE_BOTS", "9")),
        email_every=0.05, after_dump_seconds=float(os.environ.get("SOAK_RESTORE_AFTER", "30")))
    print(rehearsal_test.report(facts))
    return facts


def test_the_restored_platform_carries_on(rehearsal):
    rehearsal_test.check_carries_on(rehearsal)


def test_reconcile_adopts_the_orders_placed_after_the_dump(rehearsal):
    rehearsal_test.test_reconcile_adopts_the_orders_placed_after_the_dump(rehearsal)

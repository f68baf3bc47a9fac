"""Engine soak (make soak): 1,000 kills and 10,000 intents under exchange faults.

(Parity over the whole month over HTTP is not here yet: driven from a test through async_to_sync it
hung on its first request; see the issue note.)"""

from __future__ import annotations

import os

import pytest

from tests.trading import test_kills_and_faults as kills

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_thousand_kills(alice, venue, worker, tmp_path, monkeypatch):
    monkeypatch.setattr(kills, "KILLS", int(os.environ.get("SOAK_ENGINE_KILLS", "1000")))
    kills.test_kill_minus_nine_at_random_points(alice, venue, worker, tmp_path)


def test_ten_thousand_intents_under_faults(alice, venue, worker, tmp_path, monkeypatch):
    monkeypatch.setattr(kills, "INTENTS", int(os.environ.get("SOAK_ENGINE_INTENTS", "10000")))
    kills.test_exchange_faults_no_duplicates_every_order_resolved(alice, venue, worker, tmp_path)

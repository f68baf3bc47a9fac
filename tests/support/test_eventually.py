"""The polling helper returns as soon as its check holds and fails with what it waited for."""

from __future__ import annotations

import itertools
import time

import pytest

from tests.support.eventually import eventually


def test_returns_the_first_truthy_value():
    calls = itertools.count()
    assert eventually(lambda: next(calls) >= 3 and "ready", timeout=5, interval=0.001) == "ready"
    assert next(calls) == 4  # stopped polling at the fourth call


def test_fails_after_the_deadline_naming_what_and_the_last_value():
    started = time.monotonic()
    drained: list[int] = []
    with pytest.raises(AssertionError, match=r"the queue to drain; last value: \[\]"):
        eventually(lambda: drained, timeout=0.2, interval=0.01, what="the queue to drain")
    assert 0.2 <= time.monotonic() - started < 2


def test_a_failure_carries_the_diagnostics_and_a_late_description():
    seen = {"state": "stuck"}
    with pytest.raises(AssertionError, match=r"the job \(state stuck\); last value: 0\nworker log tail"):
        eventually(lambda: 0, timeout=0.05, interval=0.01, what=lambda: f"the job (state {seen['state']})",
                   diagnostics=lambda: "worker log tail")

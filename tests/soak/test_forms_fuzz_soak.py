"""SECURITY.md T7 at full size (make soak): 10,000 fuzzed form posts, split over the forms in the
proportions of the quick suite's budget. FUZZ_FORM_POSTS scales the total."""

from __future__ import annotations

import os

import pytest

from tests.fuzz.test_forms_fuzz import BUDGET, POSTS, fuzz, scaled, target_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

SOAK = scaled(int(os.environ.get("FUZZ_FORM_POSTS", "10000")))


@pytest.mark.parametrize("name", list(BUDGET))
def test_form_fuzz_soak(name, request):
    fuzz(name, SOAK[name], target_for(name, request))
    assert POSTS[name] >= SOAK[name] * 0.9

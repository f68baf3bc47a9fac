"""The console's tests: an operator signed in with their authenticator app, outside the demo."""

from __future__ import annotations

import pytest

from tests.onboarding.helpers import catalog
from tests.ops.helpers import sign_in, with_app


@pytest.fixture
def ops(client, operator, settings):
    settings.DEMO = False
    with_app(operator)
    return sign_in(client, operator)


@pytest.fixture
def catalogued(db):
    """The shipped strategies and their offerings."""
    return catalog()

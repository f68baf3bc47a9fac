"""Steps of the sign-in flow through Django's test client."""

from __future__ import annotations

import re

from tests.conftest import PASSWORD
from tests.support.smtp import text_of

CODE_RE = re.compile(r"sign-in code is:\s*(\d{6})")


def post_password(client, email, password=PASSWORD):
    return client.post("/signin/", {"email": email, "password": password})


def code_from(msg) -> str:
    match = CODE_RE.search(text_of(msg))
    assert match, text_of(msg)
    return match.group(1)

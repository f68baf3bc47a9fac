"""Steps of the sign-in flow through Django's test client."""

from __future__ import annotations

import re

import pyotp

from tests.conftest import PASSWORD
from tests.support.smtp import text_of

CODE_RE = re.compile(r"sign-in code is:\s*(\d{6})")


def post_password(client, email, password=PASSWORD):
    return client.post("/signin/", {"email": email, "password": password})


def code_from(msg) -> str:
    match = CODE_RE.search(text_of(msg))
    assert match, text_of(msg)
    return match.group(1)


def signed_in(client, user):
    """Sign in through the real views, with the code the delivering job would send."""
    from sequence.accounts.services import signin_code_prepare_email
    from sequence.notifications.models import OutboundEmail

    post_password(client, user.email)
    email = OutboundEmail.objects.filter(user=user, kind="signin_code").latest("pk")
    code = signin_code_prepare_email(email)["code"]
    response = client.post("/signin/code/", {"code": code})
    assert response.status_code == 302, response.content
    return response


def signed_in_via_email(client, user, smtp_sink):
    """Sign in when a real worker delivers the code (it, not the test, makes the code)."""
    smtp_sink.clear()
    post_password(client, user.email)
    code = code_from(smtp_sink.to(user.email, "sign-in code"))
    response = client.post("/signin/code/", {"code": code})
    assert response.status_code == 302, response.content
    smtp_sink.clear()
    return response


def enable_totp(client, user) -> tuple[str, list[str]]:
    """Set up an authenticator app through the pages; returns its key and the recovery codes."""
    page = client.get("/account/authenticator/").content.decode()
    assert "<svg" in page  # the QR code, inline, no external image
    secret = re.search(r'id="totp-key">([A-Z2-7]+)<', page).group(1)
    response = client.post("/account/authenticator/", {"code": pyotp.TOTP(secret).now()})
    codes = re.findall(r"<li>([a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4})</li>", response.content.decode())
    assert len(codes) == 10
    return secret, codes

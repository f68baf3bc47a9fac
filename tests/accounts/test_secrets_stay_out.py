"""No secret (password, code, SECRET_KEY, TOTP seed) in a log line, a job argument or a page.

The deliberate exceptions (DESIGN.md section 7): the code in its own email, and the TOTP
key on the one setup page that shows it.
"""

from __future__ import annotations

import re

import pyotp
import pytest
from django.conf import settings
from procrastinate.contrib.django.models import ProcrastinateJob

from sequence.accounts.models import User
from tests.accounts.helpers import code_from, post_password
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def test_secrets_stay_out_of_logs_jobs_and_pages(client, alice, worker, smtp_sink, caplog):
    pages = []
    pages.append(post_password(client, "alice@example.com").content.decode())
    pages.append(client.get("/signin/code/").content.decode())
    code = code_from(smtp_sink.to("alice@example.com", "sign-in code"))
    pages.append(client.post("/signin/code/", {"code": code}, follow=True).content.decode())

    setup_page = client.get("/account/authenticator/").content.decode()
    seed = re.search(r'id="totp-key">([A-Z2-7]+)<', setup_page).group(1)
    pages.append(client.post("/account/authenticator/", {"code": pyotp.TOTP(seed).now()}).content.decode())
    for path in ("/dashboard/", "/account/", "/submit/"):
        pages.append(client.get(path, follow=True).content.decode())
    assert User.objects.get(pk=alice.pk).totp_enabled

    smtp_sink.to("alice@example.com", "Authenticator app turned on")
    jobs = " ".join(f"{j.task_name} {j.args}" for j in ProcrastinateJob.objects.all())
    logs = worker.output() + "\n".join(r.getMessage() for r in caplog.records)
    secrets = {"password": PASSWORD, "sign-in code": code, "SECRET_KEY": settings.SECRET_KEY, "TOTP seed": seed}
    for name, secret in secrets.items():
        for where, haystack in {"pages": "\n".join(pages), "job arguments": jobs, "logs": logs}.items():
            assert secret not in haystack, f"the {name} appears in {where}"
    assert seed in setup_page  # the one page meant to show it, once

"""Sign-in with password + emailed code, through a real worker and a real SMTP server."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.test import Client
from procrastinate.contrib.django.models import ProcrastinateJob

from sequence.accounts.models import SigninChallenge
from sequence.accounts.services import signin_challenge_start
from sequence.notifications.models import OutboundEmail
from tests.accounts.helpers import code_from, post_password
from tests.conftest import PASSWORD
from tests.support.smtp import html_of, text_of

pytestmark = pytest.mark.django_db(transaction=True)


def test_password_then_emailed_code_reaches_the_dashboard(client, alice, worker, smtp_sink):
    response = post_password(client, "ALICE@Example.com")  # emails match case-insensitively
    assert response.status_code == 302 and response.url == "/signin/code/"
    page = client.get("/signin/code/")
    assert b"Check your email" in page.content

    msg = smtp_sink.to("alice@example.com", "sign-in code")
    code = code_from(msg)
    # the anti-phishing code sits in both parts, the code too
    assert "Your anti-phishing code: bluefalcon" in text_of(msg)
    assert "bluefalcon" in html_of(msg) and code in html_of(msg)
    assert msg.get_body(preferencelist=("html",)).get_content_type() == "text/html"

    session_before = client.session.session_key
    challenge_id, user_id = client.session["signin_challenge"], client.session["signin_user"]
    response = client.post("/signin/code/", {"code": code})
    assert response.status_code == 302 and response.url == "/dashboard/"
    assert client.session.session_key != session_before  # a new session id at sign-in
    dashboard = client.get("/dashboard/")
    assert b"Add Strategy" in dashboard.content and b"Refresh API" in dashboard.content

    # the code is single use: a second browser replaying it, with the same pending sign-in in
    # its session (as if the cookie had been copied before the code was entered), gets nothing
    assert SigninChallenge.objects.get(pk=challenge_id).used_at is not None
    replayer = Client()
    session = replayer.session
    session["signin_challenge"], session["signin_user"] = challenge_id, user_id
    session.save()
    replay = replayer.post("/signin/code/", {"code": code})
    assert replay.status_code == 200 and b"Sign in again to get a new one" in replay.content
    assert "_auth_user_id" not in replayer.session
    assert replayer.get("/dashboard/").status_code == 302  # still signed out
    assert client.post("/signout/").status_code == 302
    assert client.get("/dashboard/").status_code == 302


def test_code_and_password_stay_out_of_jobs_logs_and_pages(client, alice, worker, smtp_sink):
    response = post_password(client, "alice@example.com")
    code = code_from(smtp_sink.to("alice@example.com", "sign-in code"))
    page = client.get("/signin/code/").content.decode()
    final = client.post("/signin/code/", {"code": code}, follow=True).content.decode()

    job_args = [str(job.args) for job in ProcrastinateJob.objects.all()]
    assert job_args, "the email went through a job"
    stored = OutboundEmail.objects.get(kind="signin_code")
    for haystack in [*job_args, str(stored.context), page, final, worker.output()]:
        assert code not in haystack
        assert PASSWORD not in haystack
    assert response.status_code == 302


def test_a_rolled_back_sign_in_sends_no_email(alice, bob, worker, smtp_sink):
    jobs_before = ProcrastinateJob.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        signin_challenge_start(user=alice)
        raise RuntimeError("something after the challenge failed")
    assert not OutboundEmail.objects.filter(user=alice).exists()
    assert ProcrastinateJob.objects.count() == jobs_before

    # A committed one after it is delivered; the worker is FIFO, so alice's would have come first.
    signin_challenge_start(user=bob)
    smtp_sink.to("bob@example.com", "sign-in code")
    assert not [m for m in smtp_sink.messages if "alice" in str(m["To"])]


def test_resent_code_replaces_the_first(client, alice, worker, smtp_sink, settings):
    settings.SIGNIN_CODE_RESEND_SECONDS = 0
    post_password(client, "alice@example.com")
    first = code_from(smtp_sink.to("alice@example.com", "sign-in code"))
    smtp_sink.clear()
    client.post("/signin/code/resend/")
    second = code_from(smtp_sink.to("alice@example.com", "sign-in code"))
    if first == second:  # one in a million; nothing to compare then
        pytest.skip("the two random codes happened to be equal")
    response = client.post("/signin/code/", {"code": first})
    assert b"expired" in response.content or b"not right" in response.content
    response = client.post("/signin/code/", {"code": second})
    assert response.status_code == 302 and response.url == "/dashboard/"


def test_password_reset_by_email(client, alice, worker, smtp_sink):
    client.post("/password/reset/", {"email": "Alice@example.com"})
    msg = smtp_sink.to("alice@example.com", "Reset your")
    assert "bluefalcon" in text_of(msg)
    link = next(word for word in text_of(msg).split() if "/password/reset/" in word)
    path = link.split("127.0.0.1:8000", 1)[1]
    token = path.rstrip("/").rsplit("/", 1)[1]
    first = client.get(path)  # the token moves into the session; the address bar loses it
    assert first.status_code == 302 and token not in first.url and first.url.endswith("/set-password/")
    form = client.get(first.url)
    assert form.status_code == 200 and token.encode() not in form.content
    new_password = "a brand new long passphrase 7"
    response = client.post(first.url, {"new_password1": new_password, "new_password2": new_password})
    assert response.status_code == 302
    assert smtp_sink.to("alice@example.com", "password was changed")
    # the link works once
    assert client.get(path).status_code == 400
    assert client.get(first.url).status_code == 400
    assert post_password(client, "alice@example.com", new_password).url == "/signin/code/"


def test_unknown_email_reset_sends_nothing_and_says_the_same(client, alice, worker, smtp_sink):
    known = client.post("/password/reset/", {"email": "alice@example.com"}).content
    unknown = client.post("/password/reset/", {"email": "nobody@example.com"}).content
    assert known == unknown
    smtp_sink.to("alice@example.com", "Reset your")
    assert not [m for m in smtp_sink.messages if "nobody" in str(m["To"])]


def test_twenty_password_posts_send_one_code_email(alice, worker, smtp_sink):
    """Issue 14 item 3: re-posting the right password is no way round the 60 s resend cooldown,
    from the same browser or from others."""
    from django.test import Client

    from tests.conftest import wait_for_idle_worker

    browsers = [Client() for _ in range(4)]
    for n in range(20):
        response = post_password(browsers[n % 4], "alice@example.com")
        assert response.status_code == 302 and response.url == "/signin/code/"
    code = code_from(smtp_sink.to("alice@example.com", "sign-in code"))
    wait_for_idle_worker()
    codes = [m for m in smtp_sink.messages if "alice" in str(m["To"]) and "sign-in code" in str(m["Subject"])]
    assert len(codes) == 1
    assert OutboundEmail.objects.filter(kind="signin_code").count() == 1
    # the one code signs in whichever of the browsers that passed the password uses it
    assert browsers[3].post("/signin/code/", {"code": code}).url == "/dashboard/"

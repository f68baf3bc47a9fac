"""Issue 14 item 7: a password-reset token never reaches an access log. A real gunicorn, started
with the platform's own command line (runtime/process_types.py), serves the emailed link; its
access log is then grepped for the token."""

from __future__ import annotations

import http.client
import logging
import os
import socket
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.db import connection
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from sequence.config.access_log import REDACTED, ResetTokenFilter, redact_reset_tokens
from sequence.runtime import process_types
from tests.support.eventually import eventually
from tests.support.worker import database_url

pytestmark = pytest.mark.django_db(transaction=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(port: int, path: str, cookie: str = "") -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
    response = conn.getresponse()
    response.read()
    conn.close()
    return response


@pytest.fixture
def web_server(tmp_path):
    port = free_port()
    log_path = tmp_path / "web.log"
    env = dict(os.environ, DATABASE_URL=database_url(connection.settings_dict), SECRET_KEY=settings.SECRET_KEY,
               FIELD_ENCRYPTION_KEY=settings.FIELD_ENCRYPTION_KEYS, SECURE_COOKIES="0", SECURE_SSL_REDIRECT="0")
    argv = process_types.web(sys.executable, port)
    argv[argv.index("--workers") + 1] = "1"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                get(port, "/")
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"gunicorn did not start:\n{log_path.read_text()[-3000:]}")
                time.sleep(0.2)
        yield port, log_path
    finally:
        proc.terminate()
        proc.wait(20)


def test_the_reset_token_stays_out_of_the_access_log(alice, web_server):
    port, log_path = web_server
    uid = urlsafe_base64_encode(force_bytes(alice.pk))
    token = default_token_generator.make_token(alice)
    first = get(port, f"/password/reset/{uid}/{token}/")
    assert first.status == 302
    location = first.getheader("Location")
    assert location == f"/password/reset/{uid}/set-password/"
    cookie = first.getheader("Set-Cookie").split(";", 1)[0]
    assert get(port, location, cookie).status == 200  # the token came along in the session
    get(port, f"/password/reset/{uid}/{token[:-1]}x/")  # a wrong token is not logged either

    # gunicorn writes its access log after the response: wait for the last request's line
    logged = eventually(lambda: "set-password" in (text := log_path.read_text()) and text,
                        timeout=10, what="the access log lines")
    assert f"/password/reset/{uid}/{REDACTED}/" in logged  # the first request, redacted
    assert f"/password/reset/{uid}/set-password/" in logged
    assert token not in logged and token[:-1] not in logged


@pytest.mark.parametrize(("line", "expected"), [
    ('"GET /password/reset/MQ/cz8k1a-0f3e9c2b/ HTTP/1.1" 302 0', '"GET /password/reset/MQ/[redacted]/ HTTP/1.1" 302 0'),
    ("GET /password/reset/MQ/cz8k1a-0f3e9c2b", "GET /password/reset/MQ/[redacted]"),
    ("/password/reset/MQ/set-password/", "/password/reset/MQ/set-password/"),
    ("/password/reset/", "/password/reset/"),  # the request form itself
    ("/dashboard/?next=/password/reset/MQ/abc-123/", "/dashboard/?next=/password/reset/MQ/[redacted]/"),
])
def test_redaction(line, expected):
    assert redact_reset_tokens(line) == expected


def test_the_development_server_log_is_redacted_too():
    record = logging.LogRecord("django.server", logging.INFO, __file__, 1, '"%s" %s %s',
                               ("GET /password/reset/MQ/cz8k1a-0f3e9c2b/ HTTP/1.1", "302", "0"), None)
    assert ResetTokenFilter().filter(record)
    assert "cz8k1a" not in record.getMessage() and REDACTED in record.getMessage()

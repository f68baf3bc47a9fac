"""Issue 14 item 9: a form body that cannot be read is a 400 with a plain message on any URL, never
a 500. Django answers its multipart parser's own errors with a 400 already; a body cut short (the
client stops before Content-Length) was a 500 wherever request.POST was read first."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

URLS = ["/", "/signin/", "/signin/code/", "/password/reset/", "/account/", "/submit/", "/no-such-page/",
        "/password/reset/MQ/abc-123/", "/static/nothing.css"]

FIELD = b"--b0und\r\nContent-Disposition: form-data; name=\"email\"\r\n\r\nv\r\n--b0und--\r\n"
BASE64_FILE = (b"--b0und\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.txt\"\r\n"
               b"Content-Transfer-Encoding: base64\r\n\r\n@@not base64@@\r\n--b0und--\r\n")
HUGE_HEADER = b"--b0und\r\nX-Padding: " + b"a" * 20000 + b"\r\n\r\nv\r\n--b0und--\r\n"
# Each of these makes Django's parser raise (checked by the last test), i.e. a 500 without the middleware.
MALFORMED = {
    "no boundary": ("multipart/form-data", FIELD, {}),
    "bad boundary": ("multipart/form-data; boundary=\"\x7f\x7f\"", FIELD, {}),
    "broken base64 file": ("multipart/form-data; boundary=b0und", BASE64_FILE, {}),
    "part header too big": ("multipart/form-data; boundary=b0und", HUGE_HEADER, {}),
    "negative length": ("multipart/form-data; boundary=b0und", FIELD, {"CONTENT_LENGTH": "-5"}),
}


@pytest.mark.parametrize("url", URLS)
@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_a_malformed_multipart_body_is_a_400(url, case):
    content_type, body, extra = MALFORMED[case]
    client = Client(raise_request_exception=True)  # a 500 here would raise
    response = client.generic("POST", url, data=body, content_type=content_type, **extra)
    assert response.status_code == 400, (url, case, response.status_code)
    assert b"form data could not be read" in response.content
    assert "Content-Security-Policy" in response.headers  # the headers are still there


class CutShort:
    """A client that stops sending before its body is complete: gunicorn's reader then raises an
    OSError (NoMoreData) instead of returning the missing bytes."""

    def read(self, size=-1):
        raise OSError("client went away")

    readline = read


@pytest.mark.parametrize("url", URLS)
@pytest.mark.parametrize("content_type", ["multipart/form-data; boundary=b0und", "application/x-www-form-urlencoded"])
def test_a_body_cut_short_is_a_400(url, content_type):
    body = FIELD if content_type.startswith("multipart") else b"email=alice%40example.com&password=x"
    client = Client(raise_request_exception=True)
    response = client.generic("POST", url, data=body, content_type=content_type,
                              **{"wsgi.input": CutShort(), "CONTENT_LENGTH": str(len(body))})
    assert response.status_code == 400, (url, response.status_code)
    assert b"form data could not be read" in response.content


def test_a_good_multipart_form_still_works(alice):
    response = Client().post("/signin/", {"email": "alice@example.com", "password": "not it at all"})
    assert response.status_code == 200 and b"do not match an account" in response.content
    # the test client sends multipart by default: the form above went through the parser


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_each_case_is_one_the_parser_refuses(case):
    """Without this the test above could pass on bodies nobody would call malformed."""
    import io

    from django.core.files.uploadhandler import MemoryFileUploadHandler
    from django.http.multipartparser import MultiPartParser, MultiPartParserError

    content_type, body, extra = MALFORMED[case]
    meta = {"CONTENT_TYPE": content_type, "CONTENT_LENGTH": str(len(body)), **extra}
    with pytest.raises(MultiPartParserError):
        MultiPartParser(meta, io.BytesIO(body), [MemoryFileUploadHandler()], "utf-8").parse()

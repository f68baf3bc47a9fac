"""Request-wide rules: the client's address behind trusted proxies, unreadable bodies, and a strict
Content-Security-Policy (everything from our own origin, nothing inline)."""

from __future__ import annotations

import ipaddress
import logging

from django.conf import settings
from django.http import HttpResponseBadRequest, UnreadablePostError
from django.http.multipartparser import MultiPartParserError

log = logging.getLogger(__name__)

FORM_TYPES = {"multipart/form-data", "application/x-www-form-urlencoded"}  # what request.POST parses

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


def client_address(remote_addr: str, forwarded_for: str, trusted_proxies: int) -> str:
    """The client's address, given how many proxies in front of us are ours.

    Each proxy appends the address it got the request from to X-Forwarded-For, so with N
    trusted proxies the N-th address from the right end of "forwarded_for + remote_addr" is
    the client's; anything further left came from the client and may be forged. A chain
    shorter than expected (a request that skipped the proxy) or a malformed entry: the
    connection's own address."""
    if trusted_proxies <= 0 or not forwarded_for:
        return remote_addr
    chain = [part.strip() for part in forwarded_for.split(",")] + [remote_addr]
    if len(chain) <= trusted_proxies:
        return remote_addr
    candidate = chain[-(trusted_proxies + 1)]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote_addr


class ClientAddressMiddleware:
    """REMOTE_ADDR becomes the client's address (TRUSTED_PROXY_COUNT, README), before anything
    reads it: the lockouts (django-axes), the new sign-in notices and the audit rows."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        meta = request.META
        meta["REMOTE_ADDR"] = client_address(meta.get("REMOTE_ADDR", ""), meta.get("HTTP_X_FORWARDED_FOR", ""),
                                             settings.TRUSTED_PROXY_COUNT)
        return self.get_response(request)


class UnreadableBodyMiddleware:
    """A form body that cannot be read is the client's error, on any URL: 400 with a plain
    message. Django turns its parser's own error into a 400, but not a body cut short (the client
    stops sending before Content-Length: UnreadablePostError) nor a decoding error, which became
    500s in whichever code read request.POST first (the CSRF check, a view). Read it here, once."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method == "POST" and request.content_type in FORM_TYPES:
            try:
                request.POST  # noqa: B018 - reads and parses the body (and the files) now
                request.FILES  # noqa: B018
            except (MultiPartParserError, UnreadablePostError, UnicodeDecodeError, LookupError, ValueError) as exc:
                log.info("unreadable form body on %s: %s", request.path, type(exc).__name__)
                return HttpResponseBadRequest("The form data could not be read. Please send the form again.",
                                              content_type="text/plain; charset=utf-8")
        return self.get_response(request)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        return response

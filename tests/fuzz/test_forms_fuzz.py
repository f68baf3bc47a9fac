"""Issue 14 item 22, SECURITY.md T7: Hypothesis posts arbitrary bodies to every form of the platform.

Each form is posted to as the persona that really uses it (anonymous, a signed-in client, a
client with an authenticator app, an operator with one, an operator enrolling one), with
arbitrary unicode, control characters, huge strings, HTML/JS payloads, missing, repeated and
unknown fields, files where text is expected, and bodies that are not forms at all. Every post:

- gets a status below 500 (a view that crashes raises through the test client);
- never shows an HTML/JS payload verbatim (so none is reflected unescaped);
- never shows, in the page or its headers, a value posted in a secret field (password, code
  fields' secrets, api_key, api_secret, passphrase, private_key): those values carry a canary.

Each post runs in a savepoint that is rolled back, and the client's cookies are restored: the
examples do not lock each other out (throttles), sign each other out or spend the challenge.
"""

from __future__ import annotations

import copy
import json
import os
import time
import uuid
from dataclasses import dataclass, field
from urllib.parse import quote, urlencode

import pyotp
import pytest
from django.contrib.auth.tokens import default_token_generator
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sequence.accounts.decorators import SECOND_FACTOR_AT
from sequence.accounts.middleware import AUTH_AT, LAST_SEEN
from sequence.accounts.services import signin_code_prepare_email
from sequence.notifications.models import OutboundEmail
from sequence.onboarding.models import Submission
from sequence.trading.models import Bot
from tests.accounts.helpers import enable_totp, post_password, signed_in
from tests.conftest import PASSWORD
from tests.onboarding.helpers import catalog
from tests.onboarding.helpers import form as submission_form

pytestmark = pytest.mark.django_db

CANARY = "ZqCanarySecret"  # in every fuzzed secret value; alphanumeric, so escaping cannot hide it
PAYLOADS = (
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'><svg onload=alert(1)>",
    "</textarea><script>alert(1)</script>",
    "<iframe src=javascript:alert(1)></iframe>",
)
SECRETS = {"password", "new_password1", "new_password2", "api_key", "api_secret", "passphrase", "private_key"}
BYBIT_KEY = "AbCdEf1234567890Zz"
BYBIT_SECRET = "S3cr3tCanaryValue0123456789abcdefXYZ"

# posts per form in `make test` (sum 500); the soak scales them to FUZZ_FORM_POSTS (10,000)
BUDGET = {
    "signin": 50, "signin_code": 40, "signin_code_totp": 30, "signin_code_resend": 15, "reauth": 15,
    "signout": 10, "password_reset": 30, "password_reset_confirm": 40, "anti_phishing": 40,
    "totp_setup": 30, "totp_enrol_operator": 20, "totp_disable": 15, "submit": 100, "recheck": 15,
    "ops_bot_action": 25, "ops_paper": 25,
}
STATUSES: dict = {}
POSTS: dict[str, int] = {}  # counted per form, for the report and the check that they all ran

# --- values ---------------------------------------------------------------------------------

_control = st.text(alphabet=st.characters(max_codepoint=0x1F), min_size=1, max_size=20)
_huge = st.builds(lambda c, n: c * n, st.sampled_from(["A", "é", "\x00", "<", "😀", " ", "9"]),
                  st.sampled_from([300, 5_000, 70_000, 400_000]))
_numberish = st.one_of(st.integers().map(str), st.sampled_from(
    ["0", "-1", "1e999", "NaN", "Infinity", "-0", "1,000", "10000", "0x10", "١٢٣", "", " ", "true", "null"]))
_payload = st.builds(lambda a, p, b: a + p + b, st.text(max_size=10), st.sampled_from(PAYLOADS), st.text(max_size=10))
TEXT = st.one_of(st.text(max_size=60), _control, _huge, _numberish, _payload, st.sampled_from(PAYLOADS),
                 st.from_regex(r"\A\d{6}\Z"))
SECRET_TEXT = st.builds(lambda a, n, b: f"{a}{CANARY}{n}{b}", st.one_of(st.text(max_size=30), _payload),
                        st.integers(0, 10**9), st.text(max_size=30))
UPLOAD = st.builds(lambda name, body: SimpleUploadedFile(f"f{name}.txt", body, content_type="application/octet-stream"),
                   st.text(alphabet="abcxyz<>\"'; ", max_size=12), st.binary(max_size=200))  # "." alone is refused


def value(name: str, good: tuple = ()) -> st.SearchStrategy:
    one = SECRET_TEXT if name in SECRETS else TEXT
    options = [one, st.lists(one, min_size=2, max_size=4), UPLOAD]  # a field, repeated, or a file
    if good:
        options += [st.sampled_from(good), st.lists(st.sampled_from(good), min_size=2, max_size=3)]
    return st.one_of(*options)


DROP = object()  # a mutation that removes the field


def _apply(base: dict, changes: list, extra: dict) -> dict:
    data = dict(base)
    for name, new in changes:
        if new is DROP:
            data.pop(name, None)
        else:
            data[name] = new
    return {**extra, **data}


def body(fields: dict[str, tuple], valid: st.SearchStrategy | None = None) -> st.SearchStrategy:
    """Each known field present or missing, plus unknown fields with any name; or, to reach the
    code behind a form's checks, a valid body with up to two fields changed or dropped."""
    extra = st.dictionaries(st.text(min_size=1, max_size=20), TEXT, max_size=3)
    known = st.fixed_dictionaries({}, optional={name: value(name, good) for name, good in fields.items()})
    anything = st.builds(_apply, known, st.just([]), extra)
    if valid is None or not fields:
        return anything
    change = st.sampled_from(sorted(fields)).flatmap(
        lambda k: st.tuples(st.just(k), st.one_of(st.just(DROP), value(k, fields[k]))))
    near_valid = st.builds(_apply, valid, st.lists(change, max_size=2),
                           st.one_of(st.just({}), extra))
    return st.one_of(anything, near_valid)


ENCODINGS = st.sampled_from(["multipart", "multipart", "urlencoded", "raw", "json"])


@dataclass
class Target:
    client: Client
    urls: st.SearchStrategy
    fields: dict[str, tuple] = field(default_factory=dict)
    signed_in: bool = False
    valid: st.SearchStrategy | None = None  # a body the form accepts
    known_secrets: tuple[str, ...] = (PASSWORD,)


# --- posting ----------------------------------------------------------------------------------

def _flat(data: dict) -> list[tuple[str, str]]:
    pairs = []
    for k, v in data.items():
        for item in (v if isinstance(v, list) else [v]):
            pairs.append((k, item.name if isinstance(item, SimpleUploadedFile) else str(item)))
    return pairs


def _send(client: Client, url: str, data: dict, encoding: str, raw: bytes):
    if encoding == "multipart":
        return client.post(url, data)
    if encoding == "urlencoded":
        return client.post(url, urlencode(_flat(data)), content_type="application/x-www-form-urlencoded")
    if encoding == "json":
        return client.post(url, json.dumps(dict(_flat(data))), content_type="application/json")
    content_type = "application/x-www-form-urlencoded" if raw[:1] != b"-" else "multipart/form-data; boundary=--x"
    return client.post(url, raw, content_type=content_type)


def _secret_values(data: dict) -> list[str]:
    found = []
    for name, v in data.items():
        if name in SECRETS:
            found += [s for s in (v if isinstance(v, list) else [v]) if isinstance(s, str)]
    return found


def post_and_check(name: str, target: Target, url: str, data: dict, encoding: str, raw: bytes) -> None:
    client = target.client
    cookies = copy.deepcopy(client.cookies)
    try:
        with transaction.atomic():
            if target.signed_in:  # rolled-back requests never refresh the session's clocks
                session = client.session
                now = time.time()
                session[AUTH_AT] = session[LAST_SEEN] = session[SECOND_FACTOR_AT] = now
                session.save()
            response = _send(client, url, data, encoding, raw)
            transaction.set_rollback(True)
    finally:
        client.cookies = cookies
    POSTS[name] = POSTS.get(name, 0) + 1
    STATUSES.setdefault(name, {}).setdefault(response.status_code, 0)
    STATUSES[name][response.status_code] += 1
    assert response.status_code < 500, (url, response.status_code)
    page = response.content.decode("utf-8", "replace")
    headers = " ".join(f"{k}: {v}" for k, v in response.headers.items())
    for payload in PAYLOADS:
        assert payload not in page, f"{url} reflected {payload!r} unescaped"
    assert CANARY not in page and CANARY not in headers, f"{url} re-rendered a secret field"
    for secret in (*target.known_secrets, *[s for s in _secret_values(data) if len(s) >= 12 and CANARY in s]):
        assert secret not in page and secret not in headers, f"{url} re-rendered a secret"


# --- the forms, with their personas -------------------------------------------------------------

def _just(*urls: str) -> st.SearchStrategy:
    return st.sampled_from(urls)


def _with_query(path: str, keys: tuple[str, ...]) -> st.SearchStrategy:
    query = st.fixed_dictionaries({}, optional=dict.fromkeys(keys, TEXT))
    return st.builds(lambda q: f"{path}?{urlencode(q)}" if q else path, query)


def _signed_in_client(user) -> Client:
    c = Client()
    signed_in(c, user)
    return c


def _submission(c: Client, user, offerings) -> Submission:
    data = submission_form(user, offerings["usdt-perp-hedge@bybit"], api_key=BYBIT_KEY, api_secret=BYBIT_SECRET)
    assert c.post("/submit/", data).status_code == 302
    return Submission.objects.filter(user=user).latest("created_at")


def _fixed(**data) -> st.SearchStrategy:
    return st.just(data)


def target_for(name: str, request) -> Target:
    persona = request.getfixturevalue  # only the users a form needs (each costs a password hash)
    settings_ = persona("settings")
    settings_.EGRESS_IPS = ["127.0.0.1"]
    settings_.PAPER_VENUE_URL = persona("venue").url
    alice = persona("alice")
    email = (alice.email, alice.email.upper(), "nobody@example.com", "a@b", "")
    if name == "signin":
        return Target(Client(), _with_query("/signin/", ("next",)),
                      {"email": email, "password": (PASSWORD, "wrong password 1234"),
                       "next": ("/dashboard/", "//evil.example/", "javascript:alert(1)")},
                      valid=_fixed(email=alice.email, password=PASSWORD))
    if name == "signin_code":
        c = Client()
        post_password(c, alice.email)
        code = signin_code_prepare_email(OutboundEmail.objects.filter(user=alice).latest("pk"))["code"]
        return Target(c, _just("/signin/code/"), {"code": ("000000", "123456", " 12 34 56 ", "١٢٣٤٥٦", code)},
                      valid=_fixed(code=code))
    if name == "signin_code_totp":
        bob = persona("bob")
        secret, recovery = enable_totp(_signed_in_client(bob), bob)
        c = Client()
        post_password(c, bob.email)
        now = st.builds(lambda: {"code": pyotp.TOTP(secret).now()})
        return Target(c, _just("/signin/code/"), {"code": (recovery[0], "000000", "١٢٣٤٥٦")},
                      valid=st.one_of(now, _fixed(code=recovery[1])), known_secrets=(PASSWORD, secret, *recovery))
    if name == "signin_code_resend":
        c = Client()
        post_password(c, alice.email)
        return Target(c, _just("/signin/code/resend/"))
    if name in ("reauth", "signout", "anti_phishing", "totp_setup"):
        url = {"reauth": "/signin/confirm/", "signout": "/signout/", "anti_phishing": "/account/",
               "totp_setup": "/account/authenticator/"}[name]
        fields = {"anti_phishing": {"anti_phishing_code": ("bluefalcon", "abcd", "abc", "x" * 21)},
                  "totp_setup": {"code": ("000000", "123456", "١٢٣٤٥٦")}}.get(name, {})
        valid = {"anti_phishing": _fixed(anti_phishing_code="newcode42")}.get(name)
        return Target(_signed_in_client(alice), _just(url), fields, signed_in=True, valid=valid)
    if name == "password_reset":
        return Target(Client(), _just("/password/reset/"), {"email": email}, valid=_fixed(email=alice.email))
    if name == "password_reset_confirm":
        c = Client()
        uid = urlsafe_base64_encode(force_bytes(alice.pk))
        response = c.get(f"/password/reset/{uid}/{default_token_generator.make_token(alice)}/")
        assert response.status_code == 302, response.status_code  # the token is now in the session
        good = ("a brand new passphrase 77", "short", PASSWORD)
        return Target(c, _just(response["Location"]), {"new_password1": good, "new_password2": good},
                      valid=_fixed(new_password1=good[0], new_password2=good[0]),
                      known_secrets=(PASSWORD, good[0]))
    if name == "totp_enrol_operator":
        c = Client()
        signed_in(c, persona("operator"))  # password and email code passed; only the app's enrolment is open
        return Target(c, _just("/account/authenticator/"), {"code": ("000000", "123456", "١٢٣٤٥٦")})
    if name == "totp_disable":
        bob = persona("bob")
        c = _signed_in_client(bob)
        enable_totp(c, bob)
        return Target(c, _just("/account/authenticator/off/"), signed_in=True)
    offerings = catalog()
    if name == "submit":
        c = _signed_in_client(alice)
        submission = _submission(c, alice, offerings)
        bot = Bot.objects.get(user=alice)
        # a new submission (the bot above has no verified key yet, so it is not refreshable)
        valid = st.builds(lambda o, token: {**submission_form(alice, offerings[o], api_key=BYBIT_KEY,
                                                              api_secret=BYBIT_SECRET), "form_token": token},
                          st.sampled_from(["usdt-perp-hedge@bybit", "usdt-spot-dca@bybit", "btc-accumulator@bybit"]),
                          st.uuids().map(str))
        return Target(c, _with_query("/submit/", ("type",)), {
            "registered_email": email, "kind": ("new", "refresh"), "bot": (str(bot.pk), str(uuid.uuid4())),
            "market": ("spot", "derivatives"), "exchange": ("bybit", "okx", "binance"),
            "offering": (*tuple(str(o.pk) for o in offerings.values()), "0", "-1"),
            "api_name": ("sequence bot",), "passphrase": (f"Pass{CANARY}1",), "api_key": (BYBIT_KEY,),
            "api_secret": (BYBIT_SECRET,), "private_key": (f"-----BEGIN {CANARY}-----",),
            "anti_phishing_code": ("bluefalcon",), "funded": ("on",), "agree": ("on",),
            "form_token": (str(submission.form_token), str(uuid.uuid4())),
        }, signed_in=True, valid=valid, known_secrets=(PASSWORD, BYBIT_KEY, BYBIT_SECRET))
    if name == "recheck":
        c = _signed_in_client(alice)
        submission = _submission(c, alice, offerings)
        return Target(c, st.sampled_from([f"/submissions/{submission.pk}/check-again/",
                                          f"/submissions/{uuid.uuid4()}/check-again/"]), signed_in=True)
    operator = persona("operator")
    c = _signed_in_client(operator)
    enable_totp(c, operator)  # outside the demo an operator is signed in only with an app
    if name == "ops_bot_action":
        _submission(_signed_in_client(alice), alice, offerings)
        bot = Bot.objects.get(user=alice)
        known = st.sampled_from(["launch", "pause", "resume", "stop"])
        actions = st.one_of(known, known, st.text(min_size=1, max_size=30))
        pks = st.sampled_from([str(bot.pk), str(bot.pk), str(uuid.uuid4())])
        return Target(c, st.builds(lambda pk, a: f"/ops/bots/{pk}/{quote(a, safe='')}/", pks, actions),
                      signed_in=True)
    assert name == "ops_paper", name
    bybit = str(offerings["usdt-perp-hedge@bybit"].pk)
    return Target(c, _just("/ops/paper/"), {
        "offering": (*tuple(str(o.pk) for o in offerings.values()), "0", "x"),
        "balance": ("10000", "1e6", "NaN", "-5", "1,000", "0.0000001", "1e999999999")},
        signed_in=True, valid=_fixed(offering=bybit, balance="10000"))


def fuzz(name: str, examples: int, target: Target) -> None:
    @settings(max_examples=examples, deadline=None, database=None, derandomize=False,
              suppress_health_check=list(HealthCheck))
    @given(url=target.urls, data=body(target.fields, target.valid), encoding=ENCODINGS, raw=st.binary(max_size=300))
    def run(url, data, encoding, raw):
        post_and_check(name, target, url, data, encoding, raw)

    POSTS[name] = 0
    run()
    # Hypothesis may skip a duplicate example, never most of them
    assert POSTS[name] >= examples * 0.9, (name, POSTS[name], examples)
    print("STAT", name, POSTS[name], STATUSES.get(name))


def scaled(total: int) -> dict[str, int]:
    factor = total / sum(BUDGET.values())
    return {name: max(1, round(n * factor)) for name, n in BUDGET.items()}


@pytest.mark.parametrize("name", list(BUDGET))
def test_form_fuzz(name, request):
    fuzz(name, BUDGET[name], target_for(name, request))


def test_the_budget_is_five_hundred_posts():
    assert sum(BUDGET.values()) == 500
    assert sum(scaled(int(os.environ.get("FUZZ_FORM_POSTS", "10000"))).values()) >= 9_990


def test_digits_of_other_scripts_are_a_wrong_code_not_a_server_error(client, bob):
    """Found by this fuzz: "١٢٣٤٥٦" passed str.isdigit() and then crashed compare_digest (a 500)."""
    signed = Client()
    signed_in(signed, bob)
    enable_totp(signed, bob)
    post_password(client, bob.email)
    response = client.post("/signin/code/", {"code": "١٢٣٤٥٦"})
    assert response.status_code == 200
    assert "That code is not right. 4 tries left." in response.content.decode()

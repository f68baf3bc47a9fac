"""The locust users of `bench/web_load.py` (run by it: `locust -f bench/web_load_users.py`).

A user takes an account of its kind prepared by web_load.py (WEB_LOAD_ACCOUNTS), signs in
once through the real pages (password, then the authenticator app's code) and then GETs its
pages, 1 to 3 seconds apart. A page counts as an error unless it answers 200 itself: a
redirect (to the sign-in, say) is an error too, never followed.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import sys
import time
from pathlib import Path

import pyotp
from locust import FastHttpUser, between, task
from locust.exception import StopUser

sys.path.insert(0, str(Path(__file__).resolve().parent))
from web_load import CLIENT_PAGES, OPERATOR_EVERY, OPERATOR_PAGES, PAGES

ACCOUNTS = json.loads(Path(os.environ["WEB_LOAD_ACCOUNTS"]).read_text())
_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_free = {kind: itertools.cycle(accounts) for kind, accounts in ACCOUNTS.items() if accounts}


class SignedIn(FastHttpUser):
    abstract = True
    wait_time = between(1, 3)
    kind = ""
    pages: tuple[str, ...] = ()

    def on_start(self) -> None:
        self.account = next(_free[self.kind])
        self._post_form("/signin/", {"email": self.account["email"], "password": self.account["password"]},
                        expect="/signin/code/", name="sign-in: password")
        # the next step's code: the current one may have been spent confirming the app (one
        # step of clock drift either way is accepted)
        code = pyotp.TOTP(self.account["totp"]).at(time.time() + 30)
        lands_on = "/ops/" if self.kind == "operator" else "/dashboard/"  # an operator lands on the console
        self._post_form("/signin/code/", {"code": code}, expect=lands_on, name="sign-in: code")

    def _post_form(self, path: str, data: dict, *, expect: str, name: str) -> None:
        page = self.client.get(path, name=f"{name} (form)")
        match = _TOKEN.search(page.text or "")
        with self.client.post(path, data={**data, "csrfmiddlewaretoken": match.group(1) if match else ""},
                              name=name, allow_redirects=False, catch_response=True) as response:
            location = response.headers.get("Location", "")
            if response.status_code != 302 or not location.endswith(expect):
                response.failure(f"{response.status_code} to {location!r}, expected a redirect to {expect}")
                raise StopUser()  # counted as a failure above; a user that cannot sign in stops

    def get_page(self, name: str) -> None:
        bots = self.account["bots"]
        path = PAGES[name].format(bot=random.choice(bots) if bots else "")
        with self.client.get(path, name=name, allow_redirects=False, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code} {response.headers.get('Location', '')}")

    @task
    def browse(self) -> None:
        self.get_page(random.choice(self.pages))


class Client(SignedIn):
    weight = OPERATOR_EVERY - 1
    kind = "client"
    pages = CLIENT_PAGES


class Operator(SignedIn):
    weight = 1
    kind = "operator"
    pages = OPERATOR_PAGES

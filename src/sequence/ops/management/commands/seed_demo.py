"""Create (or refresh) the demo's people. Idempotent: re-running keeps all data."""

from __future__ import annotations

import os

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from sequence.accounts.selectors import user_by_email
from sequence.accounts.services import user_create

DEMO_PEOPLE = [
    # email, operator?, anti-phishing code, password env var
    ("operator@example.com", True, "ops-desk", "DEMO_OPERATOR_PASSWORD"),
    ("client@example.com", False, "blue-falcon", "DEMO_CLIENT_PASSWORD"),
]


class Command(BaseCommand):
    help = "Seed the demo: an operator and a client (passwords from the environment)."

    def handle(self, *args, **options):
        if not settings.DEMO:
            raise CommandError("seed_demo runs only with SEQUENCE_DEMO=1 (it sets known passwords).")
        with transaction.atomic():
            for email, operator, code, password_var in DEMO_PEOPLE:
                password = os.environ.get(password_var) or os.environ.get("DEMO_PASSWORD")
                if not password:
                    raise CommandError(f"{password_var} (or DEMO_PASSWORD) is not set")
                user = user_by_email(email)
                if user is None:
                    user = user_create(email=email, password=password, is_operator=operator,
                                       anti_phishing_code=code)
                else:
                    user.set_password(password)
                    user.save(update_fields=["password"])
        self.stdout.write("Demo people ready: " + ", ".join(p[0] for p in DEMO_PEOPLE))
        from sequence.catalog.demo import seed_catalog

        seed_catalog()
        self.stdout.write("Demo catalogue ready.")
        venue_url = os.environ.get("VENUE_URL")
        if venue_url:
            from sequence.ops.demo_exchange import ensure_demo_exchange

            keys = ensure_demo_exchange(venue_url)
            self.stdout.write(f"Demo exchange account ready on the simulated exchange ({len(keys)} Bybit keys "
                              "shown on the demo client's dashboard).")
            from sequence.ops.demo_bot import ensure_demo_bot

            status = ensure_demo_bot(keys)
            self.stdout.write(f"Demo client's Bybit bot: {status} (launched by the demo operator).")

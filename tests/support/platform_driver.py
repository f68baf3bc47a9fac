"""What clients and the operator do to a platform whose database is not the test's own: run as
`python -m tests.support.platform_driver seed|emails` with that platform's environment.

The backup-and-restore rehearsal runs a whole platform on a cluster of its own (the one it
dumps), so its bots and its email traffic are made by this process, through the same services
the tests use:

- ``seed``: the catalogue, an operator, and clients each with a bot whose exchange key (an
  account on the simulated exchange) is sealed in the vault, verified, and whose launch the
  operator requested (the worker's launch job makes it live). Prints what it made as JSON.
- ``emails``: the clients' activity, one email into the outbox every ``--every`` seconds,
  until SIGTERM.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
import uuid
from types import SimpleNamespace

# (strategy slug, exchange): the offerings the bots trade, in turn
OFFERINGS = [("usdt-perp-hedge", "bybit"), ("usdt-perp-hedge", "okx"), ("usdt-spot-dca", "bybit")]


def seed(venue_url: str, bots: int) -> dict:
    from django.db import transaction

    from sequence.accounts.services import user_create
    from sequence.trading import services
    from sequence.vault.services import credential_store
    from sequence.venue.client import AdminClient
    from tests.conftest import PASSWORD
    from tests.onboarding.helpers import catalog, exchange_key
    from tests.trading.test_engine_worker import verified_bot

    venue = SimpleNamespace(admin=AdminClient(venue_url))
    offerings = catalog()
    operator = user_create(email="operator@example.com", password=PASSWORD, is_operator=True,
                           anti_phishing_code="opscode")
    made = []
    for n in range(bots):
        slug, exchange = OFFERINGS[n % len(OFFERINGS)]
        user = user_create(email=f"client{n}@example.com", password=PASSWORD, anti_phishing_code=f"code{n:04d}")
        key = exchange_key(venue, exchange=exchange, amount="20000")
        with transaction.atomic():
            if exchange == "bybit":
                bot = verified_bot(user, offerings[f"{slug}@{exchange}"], key)
            else:  # verified_bot seals a Bybit pair; an OKX key has a passphrase too
                bot = _verified_okx_bot(user, offerings[f"{slug}@{exchange}"], key, credential_store)
            services.bot_launch_request(bot_id=bot.pk, actor=operator)
        made.append({"id": str(bot.pk), "account": key.account_id, "exchange": exchange, "offering": slug,
                     "email": user.email})
    return {"bots": made}


def _verified_okx_bot(user, offering, key, credential_store):
    from datetime import timedelta

    from django.utils import timezone

    from sequence.trading import services
    from sequence.trading.models import Bot

    credential = credential_store(owner=user, exchange="okx", fields={
        "api_key": key.api_key, "api_secret": key.secret, "passphrase": key.passphrase})
    bot = services.bot_create(user=user, offering=offering)
    Bot.objects.filter(pk=bot.pk).update(status="verifying")
    services.bot_credential_verified(bot_id=bot.pk, credential=credential, first_key=True,
                                     expires_at=timezone.now() + timedelta(days=90), expiry_source="assumed")
    return Bot.objects.get(pk=bot.pk)


def emails(every: float) -> int:
    from sequence.accounts.models import User
    from sequence.notifications.services import email_enqueue

    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(True))
    users = list(User.objects.filter(email__startswith="client").order_by("email"))
    sent = 0
    while not stop:
        email_enqueue(kind="password_changed", user=users[sent % len(users)], dedup_key=f"flow-{uuid.uuid4().hex}")
        sent += 1
        time.sleep(every)  # the pace of the traffic, not a synchronisation
    return sent


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="platform_driver")
    sub = parser.add_subparsers(dest="action", required=True)
    seeding = sub.add_parser("seed")
    seeding.add_argument("--venue", required=True)
    seeding.add_argument("--bots", type=int, default=3)
    mailing = sub.add_parser("emails")
    mailing.add_argument("--every", type=float, default=0.2)
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sequence.config.settings")
    import django

    django.setup()
    if args.action == "seed":
        print(json.dumps(seed(args.venue, args.bots)))
    else:
        print(json.dumps({"enqueued": emails(args.every)}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

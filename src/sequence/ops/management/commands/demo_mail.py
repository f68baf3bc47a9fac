"""Print the newest mails of the demo's SMTP sink (demo only), e.g. the operator's first sign-in code."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from sequence.ops.mailbox import read_mailbox
from sequence.runtime.paths import var_dir


class Command(BaseCommand):
    help = "Show the newest mails the demo's local SMTP sink received."

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, default=3)
        parser.add_argument("--to", default="", help="only mails to this address")

    def handle(self, *args, count: int, to: str, **options):
        if not settings.DEMO:
            raise CommandError("demo_mail works only in the demo (SEQUENCE_DEMO=1).")
        if count < 1:
            raise CommandError("--count must be at least 1")
        path = settings.DEMO_MAILDIR or str(var_dir() / "mail")
        mails = [m for m in read_mailbox(path, limit=500) if to.lower() in m.to.lower()][:count]
        if not mails:
            self.stdout.write("No mail yet.")
        for mail in mails:
            self.stdout.write(f"=== {mail.date:%H:%M:%S} to {mail.to}: {mail.subject}\n{mail.text}\n")

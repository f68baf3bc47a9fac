"""`sequence vault keygen|rotate|status|verify`: the vault's key pairs, rotation, counts, and
the check after a restore that these keys open every credential."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from sequence.core.sealing import SealingKeyError, generate_keypair

HELP = """keygen  print a new key pair in the environment format
rotate  re-seal every value under the current VAULT_PUBLIC_KEY (idempotent; needs the private keys)
status  counts of sealed values per key id
verify  open every live credential with these keys (after a restore; needs the private keys)"""


class Command(BaseCommand):
    help = "The vault: " + HELP.replace("\n", "; ")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", metavar="{keygen,rotate,status,verify}", required=True)
        keygen = sub.add_parser("keygen", help="print a new key pair (VAULT_PUBLIC_KEY / VAULT_PRIVATE_KEYS)")
        keygen.add_argument("--kid", default="", help="key id: 1-16 letters or digits (default: v + UTC time)")
        rotate = sub.add_parser("rotate", help="re-seal values whose kid is not the current public kid")
        rotate.add_argument("--limit", type=int, default=None, help="at most this many credentials")
        status = sub.add_parser("status", help="counts of sealed values per kid")
        status.add_argument("--json", dest="as_json", action="store_true", help="machine-readable output")
        sub.add_parser("verify", help="open every live credential with these keys (after a restore)")

    def handle(self, *args, action: str, **options):
        try:
            return getattr(self, f"do_{action}")(**options) or ""
        except DatabaseError as exc:
            raise CommandError(f"the database is not ready ({type(exc).__name__}): "
                               "is DATABASE_URL right, and was `sequence migrate` run?") from None

    def do_keygen(self, kid: str = "", **_):
        from sequence.vault.keys import new_kid

        try:
            public, private = generate_keypair(kid or new_kid())
        except SealingKeyError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"VAULT_PUBLIC_KEY={public}")
        self.stdout.write(f"VAULT_PRIVATE_KEYS={private}")
        self.stderr.write("Give VAULT_PUBLIC_KEY to web and workers; put the private key FIRST in the workers' "
                          "VAULT_PRIVATE_KEYS, keep the old ones until `sequence vault rotate` and "
                          "`sequence vault status` show no value under them.")

    def do_rotate(self, limit: int | None = None, **_):
        from sequence.vault.services import VaultLocked, vault_rotate

        if limit is not None and limit < 1:
            raise CommandError("--limit must be a positive number")
        try:
            report = vault_rotate(actor="sequence vault rotate", limit=limit)
        except (VaultLocked, SealingKeyError) as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(str(report))
        if report.failed:
            raise CommandError(f"{len(report.failed)} credential(s) could not be re-sealed")

    def do_verify(self, **_):
        from sequence.vault.services import VaultLocked, vault_verify

        try:
            report = vault_verify()
        except (VaultLocked, SealingKeyError) as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(str(report))
        if report.failed:
            raise CommandError(f"{len(report.failed)} credential(s) do not open with these keys: are they the "
                               "keys of the platform this database comes from?")

    def do_status(self, as_json: bool = False, **_):
        from sequence.vault.selectors import vault_status

        try:
            status = vault_status()
        except SealingKeyError as exc:
            raise CommandError(str(exc)) from None
        if as_json:
            self.stdout.write(_dumps(status))
            return
        self.stdout.write(f"current kid: {status['current_kid']}"
                          + (" (generated locally under var/)" if status["generated_locally"] else ""))
        self.stdout.write("private kids here: " + (", ".join(status["private_kids"]) or "none (cannot open)"))
        self.stdout.write(f"credentials: {status['credentials']} live, {status['destroyed_credentials']} destroyed")
        for kid, count in status["sealed_values_per_kid"].items():
            mark = " (current)" if kid == status["current_kid"] else " (to re-seal)"
            self.stdout.write(f"  {kid}: {count} sealed value(s){mark}")
        if status["stale_values"]:
            self.stdout.write(f"{status['stale_values']} value(s) to re-seal: run `sequence vault rotate`")


def _dumps(data) -> str:
    return json.dumps(data, indent=1, sort_keys=True)

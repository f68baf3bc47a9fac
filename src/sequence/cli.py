"""The `sequence` command: a dispatcher.

The pure subcommands (`backtest`, `venue`) are imported lazily and never touch
Django, whose import alone costs about 0.2 s of start-up. `run` and `test`
supervise processes. Everything else is a Django management command.
"""

from __future__ import annotations

import importlib
import os
import sys

# subcommand -> module with a `main(argv) -> int`
PURE_COMMANDS = {
    "backtest": "sequence.backtest.cli",
    "venue": "sequence.venue.cli",
    "run": "sequence.runtime.supervisor",
    "test": "sequence.runtime.testrun",
    "backup": "sequence.runtime.backup",
    "restore": "sequence.runtime.restore",
}

USAGE = """usage: sequence <command> [options]

Pure commands (no Django):
  backtest   run the strategy on historical candles
  venue      the simulated exchange (serve, admin)
Platform:
  run        the whole platform with a demo (web, worker, SMTP sink, simulated exchange)
  test       the test suite (starts a private PostgreSQL unless DATABASE_URL is set)
  backup     dump the database with pg_dump, while the platform runs (no master key in it)
  restore    restore such a dump into a new, empty database
Anything else is a Django management command, e.g. `sequence migrate`, `sequence help`.
"""


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in {"-h", "--help"}:
        print(USAGE)
        return 0
    command = argv[0]
    if command in PURE_COMMANDS:
        module = importlib.import_module(PURE_COMMANDS[command])
        return int(module.main(argv[1:]) or 0)
    return django_command(argv)


def django_command(argv: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sequence.config.settings")
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        settings.INSTALLED_APPS  # noqa: B018 - loads the settings: a bad environment stops here
    except ImproperlyConfigured as exc:
        print(f"sequence: configuration error: {exc}", file=sys.stderr)
        return 2

    execute_from_command_line(["sequence", *argv])
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The demo's local SMTP server: accepts mail on 127.0.0.1 and keeps it in a Maildir.

`python -m sequence.runtime.smtp_sink --port 8025 --maildir var/mail`
"""

from __future__ import annotations

import argparse
import mailbox
import signal
import sys
import threading
from pathlib import Path

from aiosmtpd.controller import Controller


class MaildirHandler:
    def __init__(self, path: Path) -> None:
        self.box = mailbox.Maildir(str(path), create=True)
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's hook name
        with self.lock:
            self.box.add(envelope.original_content or envelope.content)
        return "250 Message accepted"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="smtp_sink", description=__doc__)
    parser.add_argument("--port", type=int, default=8025)
    parser.add_argument("--maildir", type=Path, required=True)
    args = parser.parse_args(argv)
    args.maildir.parent.mkdir(parents=True, exist_ok=True)
    controller = Controller(MaildirHandler(args.maildir), hostname="127.0.0.1", port=args.port)
    try:
        controller.start()
    except OSError as exc:
        print(f"SMTP sink cannot listen on 127.0.0.1:{args.port}: {exc.strerror}", file=sys.stderr)
        return 2
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

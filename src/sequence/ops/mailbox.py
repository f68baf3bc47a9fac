"""The demo's SMTP sink keeps mail in a Maildir; this reads it for the demo mailbox page."""

from __future__ import annotations

import mailbox
from dataclasses import dataclass
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from email.utils import parsedate_to_datetime
from pathlib import Path


@dataclass(frozen=True)
class DemoMail:
    key: str
    to: str
    subject: str
    date: object
    text: str
    html: str


def read_mailbox(path: str, limit: int = 50) -> list[DemoMail]:
    if not path or not Path(path).exists():
        return []
    box = mailbox.Maildir(path, factory=None, create=False)
    mails = []
    for key in box.iterkeys():
        msg: EmailMessage = message_from_bytes(box.get_bytes(key), policy=default)
        text_part = msg.get_body(preferencelist=("plain",))
        html_part = msg.get_body(preferencelist=("html",))
        try:
            date = parsedate_to_datetime(msg["Date"]) if msg["Date"] else None
        except (TypeError, ValueError):
            date = None
        mails.append(DemoMail(
            key=key, to=str(msg["To"] or ""), subject=str(msg["Subject"] or ""), date=date,
            text=text_part.get_content() if text_part else "",
            html=html_part.get_content() if html_part else "",
        ))
    mails.sort(key=lambda m: (m.date is not None, m.date), reverse=True)
    return mails[:limit]

"""A real SMTP server (aiosmtpd) on 127.0.0.1 that keeps what it receives."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Collect:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_DATA(self, server, session, envelope):
        if self.sink.delay:
            await asyncio.sleep(self.sink.delay)  # a slow mail server: jobs are caught mid-send
        msg = message_from_bytes(envelope.original_content or envelope.content, policy=default)
        with self.sink.cond:
            self.sink.messages.append(msg)
            self.sink.cond.notify_all()
        return "250 OK"


class SmtpSink:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.delay = 0.0
        self.cond = threading.Condition()
        self.port = free_port()
        self.controller = Controller(_Collect(self), hostname="127.0.0.1", port=self.port)

    def start(self) -> SmtpSink:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def clear(self) -> None:
        with self.cond:
            self.messages.clear()

    def wait_for(self, predicate, timeout: float = 20.0) -> EmailMessage:
        """The first received message matching `predicate`, waiting up to `timeout` seconds."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for msg in self.messages:
                    if predicate(msg):
                        return msg
                left = deadline - time.monotonic()
                if left <= 0:
                    subjects = [m["Subject"] for m in self.messages]
                    raise AssertionError(f"no matching email within {timeout}s; received: {subjects}")
                self.cond.wait(left)

    def to(self, address: str, subject_contains: str = "", timeout: float = 20.0) -> EmailMessage:
        return self.wait_for(
            lambda m: address.lower() in str(m["To"]).lower() and subject_contains in str(m["Subject"]),
            timeout,
        )


def text_of(msg: EmailMessage) -> str:
    return msg.get_body(preferencelist=("plain",)).get_content()


def html_of(msg: EmailMessage) -> str:
    return msg.get_body(preferencelist=("html",)).get_content()

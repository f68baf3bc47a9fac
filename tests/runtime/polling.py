"""Waiting on real processes: poll with a deadline, never sleep a fixed time."""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import TypeVar

import psutil

from tests.support.eventually import eventually

T = TypeVar("T")


def wait_until(probe: Callable[[], T], timeout: float, what: str, every: float = 0.05) -> T:
    """The first truthy value of `probe()`; fails naming `what` after `timeout` seconds."""
    return eventually(probe, timeout=timeout, interval=every, what=what)


def alive(procs: list[psutil.Process]) -> list[psutil.Process]:
    """Those of `procs` still running (a zombie has finished: only its parent's wait is missing)."""
    out = []
    for proc in procs:
        try:
            if proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE:
                out.append(proc)
        except psutil.NoSuchProcess:
            pass
    return out


def port_free(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as servers bind: TIME_WAIT is no holder
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True

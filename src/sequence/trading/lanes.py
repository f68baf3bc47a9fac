"""Database lanes: the engine's steps do their database work on several threads (and connections).

``sync_to_async`` sends every call of a process through one thread by default, so through one
Django connection: with thousands of bots a worker's steps queued behind each other's round
trips while its CPU was half idle (``bench/engine_bench.py``: 168 bot-steps/s at 55% of a
core). :data:`POOL` has ``ENGINE_DB_LANES`` one-thread executors, each with its own
connection; a bot's step makes every call on the lane its id picks (:meth:`Pool.of`), so the
session advisory lock its load takes is released on the same connection, and the steps of
bots on different lanes reach PostgreSQL at once. A lane is busy only during a call: steps of
many bots interleave on it while each waits on its exchange.

A lane's connection holds the step locks of every step on it, so it is never closed for age
(CONN_MAX_AGE is for request threads); a broken one is dropped, to reconnect at the next call
(its locks went with it, and the writes of those steps fail and are retried next step).

A step outside a tick (tests, by hand) runs on :data:`CALLER`: the caller's thread-sensitive
path, so that it sees the caller's transaction.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
import zlib
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import DatabaseError, connection


def _on_lane(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    try:
        return fn(*args, **kwargs)
    except DatabaseError:
        if not connection.is_usable():
            connection.close()
        raise


class Lane:
    """Runs a sync callable off the event loop: ``await lane(fn)(*args)``."""

    def __init__(self, executor: ThreadPoolExecutor | None = None) -> None:
        self.executor = executor

    def __call__(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        if self.executor is None:
            return sync_to_async(fn)
        executor = self.executor

        # What asgiref's sync_to_async does for a given executor, without its per-call set-up
        # (a new wrapper object, signature checks, context re-homing): a step makes several
        # such calls, and at thousands of steps a second that set-up was a tenth of the
        # engine's CPU (bench/engine_bench.py). The caller's context variables go along.
        async def call(*args: Any, **kwargs: Any) -> Any:
            loop = asyncio.get_running_loop()
            done = loop.run_in_executor(executor, contextvars.copy_context().run, _on_lane, fn, args, kwargs)
            try:
                return await asyncio.shield(done)
            except asyncio.CancelledError:
                # a cancelled step still lets its database call end before it goes on: the
                # lane's next call (the lock's release) must come after it, as with asgiref
                await asyncio.wait([done])
                raise

        return call

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        """Run ``fn`` on this lane's thread, from any thread, without waiting (an executor lane)."""
        if self.executor is None:
            raise TypeError("the caller's lane has no thread of its own")
        return self.executor.submit(_on_lane, fn, args, {})

    def of(self, key: str) -> Lane:
        return self


class Pool(Lane):
    """The lanes of this process; :meth:`of` picks a bot's."""

    def __init__(self) -> None:
        super().__init__()
        self._lanes: list[Lane] = []
        self._made = threading.Lock()

    def lanes(self) -> list[Lane]:
        with self._made:
            while len(self._lanes) < settings.ENGINE_DB_LANES:
                n = len(self._lanes)
                self._lanes.append(Lane(ThreadPoolExecutor(1, thread_name_prefix=f"engine-lane-{n}")))
            return self._lanes

    def of(self, key: str) -> Lane:
        lanes = self.lanes()
        return lanes[zlib.crc32(key.encode()) % len(lanes)]

    def __call__(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        raise TypeError("a step's calls go to its bot's lane: POOL.of(bot id)")

    def close_all(self) -> None:
        """Close every lane's connection (a test database is dropped after)."""
        from django.db import connections

        for lane in self._lanes:
            if lane.executor is not None:
                lane.executor.submit(connections.close_all).result()


CALLER = Lane()
POOL = Pool()


def close_all() -> None:
    POOL.close_all()

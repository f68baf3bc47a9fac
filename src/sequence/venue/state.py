"""What the HTTP layers share per server: the venue and the injected faults.

Kept apart from :mod:`sequence.venue.server` so that the protocol packages
(``bybit``, ``okx``, ``admin``) can reach the state without importing the server
that registers them (no import cycle, no module-level global set at runtime).
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from sequence.venue.engine import Venue


@dataclass
class Fault:
    """An injected failure; see :mod:`sequence.venue.server` for the kinds."""

    kind: str  # latency | http_5xx | timeout | drop
    path: str = ""
    method: str = ""
    count: int | None = None
    probability: float = 1.0
    ms: int = 0
    status: int = 503
    seconds: float = 30.0
    fired: int = 0
    id: int = 0

    def matches(self, method: str, path: str) -> bool:
        if self.count is not None and self.fired >= self.count:
            return False
        if self.method and self.method.upper() != method:
            return False
        if self.path and not path.startswith(self.path):
            return False
        return self.probability >= 1 or random.random() < self.probability  # noqa: S311

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "path": self.path, "method": self.method,
                "count": self.count, "probability": self.probability, "ms": self.ms,
                "status": self.status, "seconds": self.seconds, "fired": self.fired}


@dataclass
class State:
    venue: Venue
    faults: list[Fault] = field(default_factory=list)
    fault_ids: int = 0
    started_wall: float = field(default_factory=time.time)
    requests: int = 0


STATE_KEY = web.AppKey("venue_state", State)


def state_of(request: web.Request) -> State:
    return request.app[STATE_KEY]


def venue_of(request: web.Request) -> Venue:
    return request.app[STATE_KEY].venue

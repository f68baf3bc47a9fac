"""The request log: every exchange request the server answered, for tests to inspect.

Held by the :class:`~sequence.venue.engine.Venue` (``venue.request_log``) and
served on ``GET /admin/requests``. The server's middleware writes it; the
exchange handlers tag the request with the key id, the client order id and
the result code.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

REQUEST_LOG_SIZE = 100_000  # entries kept by default (a ring buffer: oldest dropped first)


@dataclass
class RequestRecord:
    """One exchange request as the server saw it (never the secret, never the body).

    ``start_ms``/``end_ms`` are wall-clock epoch milliseconds (floats: sub-ms
    precision). ``code`` is the exchange's own result code (Bybit ``retCode``,
    OKX ``code``) as a string, ``""`` when the request never reached a handler
    (an injected fault, an unknown path).
    """

    seq: int
    key: str
    method: str
    path: str
    client_order_id: str
    start_ms: float
    end_ms: float
    status: int
    code: str

    def public(self) -> dict[str, Any]:
        return {"seq": self.seq, "key": self.key, "method": self.method, "path": self.path,
                "client_order_id": self.client_order_id, "start_ms": self.start_ms,
                "end_ms": self.end_ms, "status": self.status, "code": self.code}


class RequestLog:
    """A bounded ring buffer of :class:`RequestRecord` (exchange paths only, not admin)."""

    def __init__(self, size: int = REQUEST_LOG_SIZE) -> None:
        self._records: deque[RequestRecord] = deque(maxlen=size)
        self._seq = 0

    @property
    def size(self) -> int:
        return self._records.maxlen or 0

    def resize(self, size: int) -> None:
        if size < 1:
            raise ValueError("the request log holds at least one entry")
        self._records = deque(self._records, maxlen=size)

    def add(self, *, key: str, method: str, path: str, client_order_id: str, start_ms: float,
            end_ms: float, status: int, code: str) -> RequestRecord:
        self._seq += 1
        record = RequestRecord(self._seq, key, method, path, client_order_id, start_ms, end_ms,
                               status, code)
        self._records.append(record)
        return record

    def records(self, since: int = 0) -> list[RequestRecord]:
        """Every record kept with ``seq > since``, oldest first."""
        return [r for r in self._records if r.seq > since]

    def clear(self) -> int:
        n = len(self._records)
        self._records.clear()
        return n

    def __len__(self) -> int:
        return len(self._records)

"""Reading a venue's history (fills, ledger) to its end: shared paging helpers.

Each venue pages its own way (time, cursor, offset, bill id): the adapters say how; these
helpers keep the rules they share: each row once (by id), oldest first, and an error, never
a silent truncation or an endless loop, when a venue cannot be paged.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from sequence.exchanges.errors import MalformedResponseError

__all__ = ["MAX_PAGES", "oldest_first", "page_by_windows", "page_forward", "row_id", "too_long"]

DAY_MS = 24 * 3600 * 1000

# A history read stops with an error after this many pages instead of looping forever.
MAX_PAGES = 500


def row_id(row: dict[str, Any]) -> str:
    if row.get("id") is not None:
        return str(row["id"])
    return repr(sorted((row.get("info") or row).items()))


def oldest_first(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(rows, key=lambda r: int(r.get("timestamp") or 0))


def too_long(exchange: str) -> MalformedResponseError:
    return MalformedResponseError(f"{exchange}: history longer than {MAX_PAGES} pages",
                                  exchange=exchange)


async def page_forward(call: Callable[..., Awaitable[list[dict[str, Any]]]], method: str,
                       key: str | None, since_ms: int, params: dict[str, Any], limit: int,
                       exchange: str) -> list[dict[str, Any]]:
    """For venues that answer "the oldest ``limit`` rows from ``since``": the next page
    starts at the last row's timestamp (inclusive, so rows sharing that millisecond are not
    lost) and rows are kept once by id."""
    seen: dict[str, dict[str, Any]] = {}
    cursor = since_ms
    for _ in range(MAX_PAGES):
        page = await call(method, key, cursor, limit, dict(params))
        new = [row for row in page if row_id(row) not in seen]
        seen.update((row_id(row), row) for row in new)
        if len(page) < limit:
            return oldest_first(seen.values())
        if not new:  # a full page of one millisecond: the venue cannot be paged further
            raise MalformedResponseError(
                f"{exchange}: more than {limit} history rows share one timestamp; cannot page",
                exchange=exchange)
        cursor = max(int(row.get("timestamp") or cursor) for row in page)
    raise too_long(exchange)


async def page_by_windows(call: Callable[..., Awaitable[list[dict[str, Any]]]], method: str,
                          key: str | None, since_ms: int, now_ms: int,
                          params: dict[str, Any], limit: int, window_ms: int,
                          exchange: str) -> list[dict[str, Any]]:
    """For venues that take a time range of at most ``window_ms`` (KuCoin 7 days, Binance
    24 hours) and answer ``limit`` rows of it, in whatever order: a full answer may hide rows,
    so its range is halved until every range answers less than ``limit``. The order the
    venue sorts in does not matter; ``until`` is ccxt's end-of-range parameter."""
    seen: dict[str, dict[str, Any]] = {}
    ranges = []
    start = since_ms
    while start <= now_ms:
        ranges.append((start, min(start + window_ms - 1, now_ms)))
        start += window_ms
    ranges.reverse()
    for _ in range(len(ranges) + MAX_PAGES):  # every range once, and MAX_PAGES splits
        if not ranges:
            return oldest_first(seen.values())
        start, end = ranges.pop()
        page = await call(method, key, start, limit, {**params, "until": end})
        if len(page) < limit:
            seen.update((row_id(row), row) for row in page)
            continue
        if end <= start:  # a full answer for one millisecond: cannot be narrowed
            raise MalformedResponseError(
                f"{exchange}: more than {limit} history rows share one timestamp; cannot page",
                exchange=exchange)
        middle = (start + end) // 2
        ranges += [(middle + 1, end), (start, middle)]  # the older half is read first
    raise too_long(exchange)

"""Candle files: CSV or gzipped CSV, header ``timestamp,open,high,low,close,volume``.

``timestamp`` is the candle's open time in epoch milliseconds (UTC). Rows must be
strictly increasing in time; absent minutes (gaps) are normal and mean "no trades".
Standard library only: the live engine, the simulated exchange and the backtester
all read candles through :func:`load_rows`.

A file is read as a stream, so memory is bounded by the candles kept, never by
the file's size: a line may be at most :data:`MAX_LINE` bytes and a file may
hold at most :data:`MAX_BLANK_LINES` blank lines (a gzip of gigabytes of
newlines is refused after a few kilobytes, not inflated). A UTF-8 byte order
mark (spreadsheets write one) is accepted; a damaged gzip stream, or a file
compressed some other way, is a :class:`CandleFileError`.

>>> import tempfile, os
>>> d = tempfile.mkdtemp()
>>> p = os.path.join(d, "c.csv")
>>> _ = open(p, "w").write("timestamp,open,high,low,close,volume\\n0,1,2,0.5,1.5,10\\n")
>>> load_rows(p)
[(0, 1.0, 2.0, 0.5, 1.5, 10.0)]
"""

from __future__ import annotations

import csv
import gzip
import io
import math
import os
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

__all__ = [
    "COLUMNS",
    "MAX_BLANK_LINES",
    "MAX_LINE",
    "MAX_PRICE",
    "MIN_PRICE",
    "CandleFileError",
    "Row",
    "iter_chunks",
    "load_rows",
    "open_text",
]

COLUMNS = ("timestamp", "open", "high", "low", "close", "volume")
MAX_LINE = 4096  # bytes; a candle row is about 60
MAX_BLANK_LINES = 1000
MAX_TIMESTAMP = 2**53  # epoch ms, about the year 285,000
# No market trades outside this; inside it every product the strategy forms (sizes, costs,
# 1/price for coin-margined books) stays a finite float64.
MIN_PRICE = 1e-100
MAX_PRICE = 1e100
CHUNK = 1 << 20
BOM = b"\xef\xbb\xbf"
# magic bytes of compressions we do not read, so the error says what the file is
OTHER_COMPRESSION = {
    b"BZh": "bzip2",
    b"\xfd7zXZ\x00": "xz",
    b"\x28\xb5\x2f\xfd": "zstd",
    b"PK\x03\x04": "zip",
    b"7z\xbc\xaf\x27\x1c": "7z",
}

Row = tuple[int, float, float, float, float, float]


class CandleFileError(ValueError):
    """A candle file that cannot be used; names the file and the 1-based line."""

    def __init__(self, path: str | os.PathLike[str], line: int | None, message: str) -> None:
        self.path = str(path)
        self.line = line
        self.message = message
        where = f"{self.path}, line {line}" if line is not None else self.path
        super().__init__(f"{where}: {message}")


def _open_binary(path: str | os.PathLike[str]) -> BinaryIO:
    """The file's bytes, inflated when gzip (recognised by its magic bytes, not the name)."""
    p = Path(path)
    fh = p.open("rb")
    magic = fh.read(6)
    fh.seek(0)
    if magic[:2] == b"\x1f\x8b":
        return gzip.GzipFile(fileobj=fh, mode="rb")  # type: ignore[return-value]
    for sig, name in OTHER_COMPRESSION.items():
        if magic.startswith(sig):
            fh.close()
            raise CandleFileError(path, None, f"compressed with {name}: only gzip (.gz) is read")
    return fh


def iter_chunks(path: str | os.PathLike[str]) -> Iterator[bytes]:
    """The file's (inflated) bytes in chunks of about :data:`CHUNK`; the BOM removed.

    Raises :class:`CandleFileError` for an unreadable file or a damaged compressed stream.
    """
    spath = str(path)
    try:
        fh = _open_binary(path)
    except OSError as e:
        raise CandleFileError(spath, None, f"cannot read: {e.strerror or e}") from None
    with fh:
        first = True
        while True:
            try:
                chunk = fh.read(CHUNK)
            except (OSError, EOFError, zlib.error) as e:
                raise CandleFileError(spath, None, f"damaged compressed data: {e}") from None
            if not chunk:
                return
            if first and chunk.startswith(BOM):
                chunk = chunk[len(BOM) :]
            first = False
            yield chunk


def _lines(path: str, where: list[int]) -> Iterator[str]:
    """Decoded non-blank lines; ``where[0]`` is the 1-based number of the line last yielded."""
    line = 0
    blanks = 0
    tail = b""
    for chunk in iter_chunks(path):
        data = tail + chunk if tail else chunk
        parts = data.split(b"\n")
        tail = parts.pop()
        if len(tail) > MAX_LINE:
            raise CandleFileError(path, line + len(parts) + 1, f"line longer than {MAX_LINE} bytes")
        for raw in parts:
            line += 1
            if len(raw) > MAX_LINE:
                raise CandleFileError(path, line, f"line longer than {MAX_LINE} bytes")
            if not raw.strip():
                blanks += 1
                if blanks > MAX_BLANK_LINES:
                    raise CandleFileError(
                        path, line, f"more than {MAX_BLANK_LINES} blank lines: not a candle file"
                    )
                continue
            where[0] = line
            yield _decode(path, line, raw)
    if tail.strip():
        where[0] = line + 1
        yield _decode(path, line + 1, tail)


def _decode(path: str, line: int, raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise CandleFileError(path, line, "not UTF-8 text") from None


def open_text(path: str | os.PathLike[str]) -> io.TextIOBase:
    """Open a candle file as text (gzip by its magic bytes; a UTF-8 BOM dropped)."""
    return io.TextIOWrapper(_open_binary(path), encoding="utf-8-sig", newline="")


def _number(path: str, line: int, name: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise CandleFileError(path, line, f"column {name!r}: not a number: {text!r}") from None
    if not math.isfinite(value):
        raise CandleFileError(path, line, f"column {name!r}: not a finite number: {text!r}")
    return value


def _timestamp(path: str, line: int, text: str) -> int:
    t = text.strip()
    if 0 < len(t) <= 19 and t.isascii() and t.lstrip("-").isdigit():
        value: float = int(t)
    else:
        try:
            value = float(t)
        except ValueError:
            raise CandleFileError(path, line, f"column 'timestamp': not a number: {text!r}") from None
        if not math.isfinite(value) or value != int(value):
            raise CandleFileError(
                path, line, f"column 'timestamp': not an integer of epoch milliseconds: {text!r}"
            )
    if abs(value) > MAX_TIMESTAMP:  # the backtester keeps timestamps in float64: exact below 2**53
        raise CandleFileError(path, line, f"column 'timestamp': out of range: {text!r}")
    return int(value)


def _header(path: str, line: int, rec: list[str]) -> tuple[list[int], int]:
    names = [h.strip().lower() for h in rec]
    missing = [c for c in COLUMNS if c not in names]
    if missing:
        raise CandleFileError(
            path,
            line,
            f"missing column(s) {', '.join(missing)}; the header must be {','.join(COLUMNS)}",
        )
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise CandleFileError(path, line, f"column(s) named twice: {', '.join(map(repr, twice))}")
    return [names.index(c) for c in COLUMNS], len(names)


def _row(path: str, line: int, rec: list[str], idx: list[int], width: int) -> Row:
    if len(rec) != width:
        raise CandleFileError(path, line, f"expected {width} columns, found {len(rec)}")
    ts = _timestamp(path, line, rec[idx[0]])
    o = _number(path, line, "open", rec[idx[1]])
    h = _number(path, line, "high", rec[idx[2]])
    lo = _number(path, line, "low", rec[idx[3]])
    c = _number(path, line, "close", rec[idx[4]])
    v = _number(path, line, "volume", rec[idx[5]])
    if o <= 0 or h <= 0 or lo <= 0 or c <= 0:
        raise CandleFileError(path, line, "prices must be positive")
    for name, x in (("open", o), ("high", h), ("low", lo), ("close", c)):
        if not MIN_PRICE <= x <= MAX_PRICE:
            raise CandleFileError(
                path, line, f"{name} {x!r} out of range: prices lie in [{MIN_PRICE:g}, {MAX_PRICE:g}]"
            )
    if h < lo:
        raise CandleFileError(path, line, f"high {h!r} is below low {lo!r}")
    for name, x in (("open", o), ("close", c)):
        if not lo <= x <= h:
            raise CandleFileError(path, line, f"{name} {x!r} is outside [low {lo!r}, high {h!r}]")
    if v < 0:
        raise CandleFileError(path, line, f"negative volume {v!r}")
    return (ts, o, h, lo, c, v)


def load_rows(path: str | os.PathLike[str]) -> list[Row]:
    """Read and validate a candle file; return ``(ts_ms, open, high, low, close, volume)`` rows.

    Raises :class:`CandleFileError` (with the line number) for a missing file or
    header column, a column named twice, a row whose number of columns differs
    from the header's, a non-numeric value, ``high < low``, an open or close
    outside ``[low, high]``, a non-positive price or one outside ``[MIN_PRICE,
    MAX_PRICE]``, a negative volume, a timestamp
    not strictly after the previous one (unsorted or duplicate), a line longer
    than :data:`MAX_LINE` bytes, more than :data:`MAX_BLANK_LINES` blank lines,
    text that is not UTF-8, or a damaged compressed stream.
    """
    spath = str(path)
    where = [1]
    rows: list[Row] = []
    try:
        reader = csv.reader(_lines(spath, where))
        try:
            header = next(reader)
        except StopIteration:
            raise CandleFileError(spath, 1, "empty file: no header") from None
        idx, width = _header(spath, where[0], header)
        prev_ts: int | None = None
        for rec in reader:
            line = where[0]
            row = _row(spath, line, rec, idx, width)
            ts = row[0]
            if prev_ts is not None and ts <= prev_ts:
                what = "duplicate" if ts == prev_ts else "unsorted"
                raise CandleFileError(
                    spath, line, f"{what} timestamp {ts}: must be after the previous row's {prev_ts}"
                )
            prev_ts = ts
            rows.append(row)
    except csv.Error as e:
        raise CandleFileError(spath, where[0], f"unreadable CSV: {e}") from None
    return rows

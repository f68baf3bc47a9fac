"""Candle files: CSV or gzipped CSV, header ``timestamp,open,high,low,close,volume``.

``timestamp`` is the candle's open time in epoch milliseconds (UTC). Rows must be
strictly increasing in time; absent minutes (gaps) are normal and mean "no trades".
Standard library only: the live engine, the simulated exchange and the backtester
all read candles through :func:`load_rows`.

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
from pathlib import Path

__all__ = ["COLUMNS", "CandleFileError", "Row", "load_rows", "open_text"]

COLUMNS = ("timestamp", "open", "high", "low", "close", "volume")

Row = tuple[int, float, float, float, float, float]


class CandleFileError(ValueError):
    """A candle file that cannot be used; names the file and the 1-based line."""

    def __init__(self, path: str | os.PathLike[str], line: int | None, message: str) -> None:
        self.path = str(path)
        self.line = line
        self.message = message
        where = f"{self.path}, line {line}" if line is not None else self.path
        super().__init__(f"{where}: {message}")


def open_text(path: str | os.PathLike[str]) -> io.TextIOBase:
    """Open a candle file as text; gzip is recognised by its magic bytes, not the name."""
    p = Path(path)
    with p.open("rb") as fh:
        magic = fh.read(2)
    if magic == b"\x1f\x8b":
        return io.TextIOWrapper(gzip.open(p, "rb"), encoding="utf-8", newline="")
    return p.open("r", encoding="utf-8", newline="")


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
    try:
        return int(t)
    except ValueError:
        pass
    try:
        value = float(t)
    except ValueError:
        raise CandleFileError(path, line, f"column 'timestamp': not a number: {text!r}") from None
    if not math.isfinite(value) or value != int(value):
        raise CandleFileError(
            path, line, f"column 'timestamp': not an integer of epoch milliseconds: {text!r}"
        )
    return int(value)


def load_rows(path: str | os.PathLike[str]) -> list[Row]:
    """Read and validate a candle file; return ``(ts_ms, open, high, low, close, volume)`` rows.

    Raises :class:`CandleFileError` (with the line number) for a missing file or
    header column, a short row, a non-numeric value, ``high < low``, a
    non-positive price, a negative volume, or a timestamp not strictly after the
    previous one (unsorted or duplicate).
    """
    spath = str(path)
    try:
        fh = open_text(path)
    except OSError as e:
        raise CandleFileError(spath, None, f"cannot read: {e.strerror or e}") from None
    rows: list[Row] = []
    try:
        with fh:
            reader = csv.reader(fh)
            try:
                header = next(reader)
            except StopIteration:
                raise CandleFileError(spath, 1, "empty file: no header") from None
            names = [h.strip().lower() for h in header]
            missing = [c for c in COLUMNS if c not in names]
            if missing:
                raise CandleFileError(
                    spath,
                    1,
                    f"missing column(s) {', '.join(missing)}; the header must be "
                    f"{','.join(COLUMNS)}",
                )
            idx = [names.index(c) for c in COLUMNS]
            width = max(idx) + 1
            prev_ts: int | None = None
            line = 1
            for rec in reader:
                line = reader.line_num
                if not rec or (len(rec) == 1 and not rec[0].strip()):
                    continue  # blank line
                if len(rec) < width:
                    raise CandleFileError(
                        spath, line, f"expected {len(names)} columns, found {len(rec)}"
                    )
                ts = _timestamp(spath, line, rec[idx[0]])
                o = _number(spath, line, "open", rec[idx[1]])
                h = _number(spath, line, "high", rec[idx[2]])
                lo = _number(spath, line, "low", rec[idx[3]])
                c = _number(spath, line, "close", rec[idx[4]])
                v = _number(spath, line, "volume", rec[idx[5]])
                if o <= 0 or h <= 0 or lo <= 0 or c <= 0:
                    raise CandleFileError(spath, line, "prices must be positive")
                if h < lo:
                    raise CandleFileError(spath, line, f"high {h!r} is below low {lo!r}")
                if v < 0:
                    raise CandleFileError(spath, line, f"negative volume {v!r}")
                if prev_ts is not None and ts <= prev_ts:
                    what = "duplicate" if ts == prev_ts else "unsorted"
                    raise CandleFileError(
                        spath,
                        line,
                        f"{what} timestamp {ts}: must be after the previous row's {prev_ts}",
                    )
                prev_ts = ts
                rows.append((ts, o, h, lo, c, v))
    except CandleFileError:
        raise
    except (OSError, EOFError, UnicodeDecodeError, csv.Error) as e:
        raise CandleFileError(spath, None, f"unreadable candle file: {e}") from None
    return rows

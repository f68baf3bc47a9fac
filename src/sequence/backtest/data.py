"""Candle loading for the backtester, with a binary cache so a file is parsed once.

The first load of a file parses it, streamed a chunk at a time (numpy's C
parser, validated column-wise; any problem is re-read by
:func:`sequence.core.candles.load_rows`, which names the line), then writes ``<blake2b of the file's bytes>.f64`` into the
cache directory: ``$SEQUENCE_CACHE``, else ``$SEQUENCE_VAR/cache/candles``,
else ``./var/cache/candles``. A small ``stat-*`` note maps the file's path,
size and modification time to that hash, so a warm load neither hashes nor
parses, and never imports numpy: the columns come back as ``array('d')``
unless numpy arrays are asked for.

Cache file: 16-byte header (``b"SEQC"``, version, row count) then six float64
columns (timestamp ms, open, high, low, close, volume), little-endian.
"""

from __future__ import annotations

import array
import contextlib
import hashlib
import os
import struct
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sequence.core.candles import (
    COLUMNS,
    MAX_LINE,
    MAX_PRICE,
    MAX_TIMESTAMP,
    MIN_PRICE,
    CandleFileError,
    iter_chunks,
    load_rows,
)

__all__ = ["CandleFileError", "Candles", "cache_dir", "load_candles"]

MAGIC = b"SEQC"
VERSION = 1
HEADER = struct.Struct("<4sIQ")
CACHE_SUFFIX = ".f64"


@dataclass(frozen=True, slots=True)
class Candles:
    """Columns of one candle file: ``array('d')`` or numpy float64 arrays."""

    ts: Any
    open: Any
    high: Any
    low: Any
    close: Any
    volume: Any
    source: str = ""
    from_cache: bool = False

    def __len__(self) -> int:
        return len(self.close)

    def rows(self) -> list[tuple[int, float, float, float, float, float]]:
        return [
            (int(t), float(o), float(h), float(lo), float(c), float(v))
            for t, o, h, lo, c, v in zip(
                self.ts, self.open, self.high, self.low, self.close, self.volume, strict=True
            )
        ]

    def head(self, n: int) -> Candles:
        return Candles(
            self.ts[:n], self.open[:n], self.high[:n], self.low[:n], self.close[:n],
            self.volume[:n], self.source, self.from_cache,
        )  # fmt: skip

    def as_numpy(self) -> Candles:
        import numpy as np

        def conv(col: Any) -> Any:
            return np.frombuffer(col, dtype="<f8") if isinstance(col, array.array) else col

        return Candles(
            conv(self.ts), conv(self.open), conv(self.high), conv(self.low), conv(self.close),
            conv(self.volume), self.source, self.from_cache,
        )  # fmt: skip


def cache_dir() -> Path:
    explicit = os.environ.get("SEQUENCE_CACHE")
    if explicit:
        return Path(explicit)
    return Path(os.environ.get("SEQUENCE_VAR", "var")) / "cache" / "candles"


def _stat_key(path: Path) -> str | None:
    try:
        st = path.stat()
        real = os.path.realpath(path)
    except OSError:
        return None
    ident = f"{real}\0{st.st_size}\0{st.st_mtime_ns}\0{VERSION}".encode()
    return hashlib.blake2b(ident, digest_size=16).hexdigest()


def _content_hash(path: Path) -> str:
    h = hashlib.blake2b(digest_size=20)
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def _read_cache(file: Path) -> tuple[int, array.array[float]] | None:
    try:
        data = file.read_bytes()
    except OSError:
        return None
    if len(data) < HEADER.size:
        return None
    magic, version, n = HEADER.unpack_from(data)
    if magic != MAGIC or version != VERSION or len(data) != HEADER.size + 48 * n:
        return None
    values = array.array("d")
    values.frombytes(memoryview(data)[HEADER.size :])
    if sys.byteorder != "little":  # pragma: no cover
        values.byteswap()
    return n, values


def _write_atomic(target: Path, payload: bytes) -> None:
    with contextlib.suppress(OSError):
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(payload)
            os.replace(tmp, target)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def _columns_from(n: int, values: array.array[float], source: str, cached: bool) -> Candles:
    t, o, h, lo, c, v = (values[i * n : (i + 1) * n] for i in range(6))
    return Candles(t, o, h, lo, c, v, source=source, from_cache=cached)


CANONICAL_HEADER = ",".join(COLUMNS).encode()


def _parse_block(block: bytes) -> Any | None:
    """numpy parse of complete lines (``block`` ends with a newline); None to defer to load_rows."""
    import io
    import warnings

    import numpy as np

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            flat = np.loadtxt(
                io.BytesIO(block), delimiter=",", dtype=np.float64, ndmin=2, comments=None
            )
        except (ValueError, UserWarning):
            return None
    # numpy skips blank lines silently: a count mismatch hands the file to load_rows, which
    # bounds them (MAX_BLANK_LINES) and names the line of any problem
    if flat.ndim != 2 or flat.shape[1] != 6 or flat.shape[0] != block.count(b"\n"):
        return None
    return flat


def _parse_fast(path: Path) -> Any | None:
    """numpy parse of a canonical file into a (6, n) array, or None to defer to load_rows.

    Streams the (inflated) file a chunk at a time: memory is the candles kept plus one chunk.
    """
    import numpy as np

    pieces = []
    tail = b""
    header_seen = False
    for chunk in iter_chunks(path):
        data = tail + chunk if tail else chunk
        cut = data.rfind(b"\n")
        if cut < 0:
            tail = data
            if len(tail) > MAX_LINE:
                return None
            continue
        block, tail = data[: cut + 1], data[cut + 1 :]
        if not header_seen:
            nl = block.find(b"\n")
            if block[:nl].strip().lower() != CANONICAL_HEADER:
                return None
            block = block[nl + 1 :]
            header_seen = True
        if block:
            flat = _parse_block(block)
            if flat is None:
                return None
            pieces.append(flat)
    if tail.strip():
        if not header_seen:
            return None
        flat = _parse_block(tail + b"\n")
        if flat is None:
            return None
        pieces.append(flat)
    if not pieces:
        return None
    cols = np.concatenate(pieces, axis=0).T.copy()
    ts, o, h, lo, c, v = cols
    with np.errstate(invalid="ignore"):
        ok = (
            bool(np.isfinite(cols).all())
            and bool((ts == np.floor(ts)).all())
            and bool((np.abs(ts) <= MAX_TIMESTAMP).all())
            and bool((cols[1:5] >= MIN_PRICE).all() and (cols[1:5] <= MAX_PRICE).all())
            and bool((h >= lo).all())
            and bool(((lo <= o) & (o <= h) & (lo <= c) & (c <= h)).all())
            and bool((v >= 0).all())
            and bool((np.diff(ts) > 0).all())
        )
    return cols if ok else None


def _parse(path: Path) -> tuple[int, bytes]:
    """Parse and validate; return (n, little-endian float64 bytes of the six columns)."""
    cols = None
    try:
        cols = _parse_fast(path)
    except ImportError:  # pragma: no cover - numpy is a dependency
        cols = None
    if cols is not None:
        return cols.shape[1], cols.astype("<f8").tobytes()
    rows = load_rows(path)  # raises CandleFileError with the line number
    if not rows:
        raise CandleFileError(str(path), None, "no candles: the file has a header but no rows")
    values = array.array("d")
    for i in range(6):
        values.extend(float(r[i]) for r in rows)
    if sys.byteorder != "little":  # pragma: no cover
        values.byteswap()
    return len(rows), values.tobytes()


def load_candles(path: str | os.PathLike[str], *, numpy: bool = False, cache: bool = True) -> Candles:
    """Load a candle file through the binary cache; raise CandleFileError on a bad file."""
    p = Path(path)
    source = str(path)
    if not p.is_file():
        raise CandleFileError(source, None, "no such file")
    directory = cache_dir()
    stat_key = _stat_key(p) if cache else None
    if stat_key is not None:
        note = directory / f"stat-{stat_key}"
        try:
            digest = note.read_text().strip()
        except OSError:
            digest = ""
        if digest:
            hit = _read_cache(directory / f"{digest}{CACHE_SUFFIX}")
            if hit is not None:
                got = _columns_from(hit[0], hit[1], source, True)
                return got.as_numpy() if numpy else got
    if cache:
        digest = _content_hash(p)
        target = directory / f"{digest}{CACHE_SUFFIX}"
        hit = _read_cache(target)
        if hit is None:
            n, payload = _parse(p)
            _write_atomic(target, HEADER.pack(MAGIC, VERSION, n) + payload)
            values = array.array("d")
            values.frombytes(payload)
            if sys.byteorder != "little":  # pragma: no cover
                values.byteswap()
            hit = (n, values)
            cached = False
        else:
            cached = True
        if stat_key is not None:
            _write_atomic(directory / f"stat-{stat_key}", digest.encode())
        got = _columns_from(hit[0], hit[1], source, cached)
    else:
        n, payload = _parse(p)
        values = array.array("d")
        values.frombytes(payload)
        got = _columns_from(n, values, source, False)
    return got.as_numpy() if numpy else got

"""Build long 1-minute series from the main candle set (tests/data/candles/README.md).

Alternate forward and time-reversed copies of binanceus_BTCUSDT_1m_2023-03
(reversed: rows in reverse order, open and close swapped, high and low kept) on
a regenerated gapless minute grid. Prices stay in the real range and every
candle's shape is real; such a series measures speed, not strategy quality.
"""

from __future__ import annotations

import gzip
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAIN_SET = ROOT / "tests" / "data" / "candles" / "binanceus_BTCUSDT_1m_2023-03.csv.gz"
YEAR_ROWS = 525_600


def build_rows(n_rows: int = YEAR_ROWS, source: Path = MAIN_SET) -> list[tuple]:
    import sys

    sys.path.insert(0, str(ROOT / "src"))
    from sequence.core.candles import load_rows

    base = load_rows(source)
    fwd = [(o, h, lo, c, v) for _, o, h, lo, c, v in base]
    rev = [(c, h, lo, o, v) for o, h, lo, c, v in reversed(fwd)]
    t0 = base[0][0]
    out: list[tuple] = []
    copy = 0
    while len(out) < n_rows:
        chunk = fwd if copy % 2 == 0 else rev
        take = min(len(chunk), n_rows - len(out))
        start = len(out)
        out.extend((t0 + (start + i) * 60_000, *chunk[i]) for i in range(take))
        copy += 1
    return out


def write_csv(path: Path, rows: list[tuple], gz: bool = True) -> Path:
    lines = ["timestamp,open,high,low,close,volume"]
    lines.extend(f"{t},{o!r},{h!r},{lo!r},{c!r},{v!r}" for t, o, h, lo, c, v in rows)
    data = ("\n".join(lines) + "\n").encode()
    if gz:
        path.write_bytes(gzip.compress(data, compresslevel=1))
    else:
        path.write_bytes(data)
    return path

"""Candle files: every rejection names the line; the binary cache parses a file once."""

import gzip
import os

import pytest

from sequence.backtest.data import cache_dir, load_candles
from sequence.core.candles import CandleFileError, load_rows
from tests.support.strategy_data import MAIN_SET

HEADER = "timestamp,open,high,low,close,volume\n"
GOOD = "0,10,11,9,10.5,1\n60000,10.5,12,10,11,2\n"

BAD = [
    ("timestamp,open,high,low,volume\n0,1,2,0.5,1,1\n", 1, "missing column(s) close"),
    (HEADER + "0,10,11,9,10.5,1\n60000,10.5,abc,10,11,2\n", 3, "column 'high': not a number"),
    (HEADER + "0,10,11,9,10.5,1\n60000,10.5,12,10,,2\n", 3, "column 'close': not a number"),
    (HEADER + "0,10,11,9,10.5,1\n60000,10.5,9,10,9.5,2\n", 3, "high 9.0 is below low 10.0"),
    (HEADER + "0,10,11,9,10.5,1\n60000,0,12,10,11,2\n", 3, "prices must be positive"),
    (HEADER + "0,10,11,-9,10.5,1\n", 2, "prices must be positive"),
    (HEADER + GOOD + "30000,10,11,9,10,1\n", 4, "unsorted timestamp 30000"),
    (HEADER + GOOD + "60000,10,11,9,10,1\n", 4, "duplicate timestamp 60000"),
    (HEADER + "0,10,11,9,10.5\n", 2, "expected 6 columns, found 5"),
    (HEADER + "x,10,11,9,10.5,1\n", 2, "column 'timestamp': not a number"),
    (HEADER + "0,nan,11,9,10.5,1\n", 2, "not a finite number"),
    ("", 1, "empty file"),
]


@pytest.mark.parametrize(("text", "line", "words"), BAD)
@pytest.mark.parametrize("gz", [False, True], ids=["csv", "gz"])
def test_rejections_name_the_line(tmp_path, text, line, words, gz):
    f = tmp_path / ("bad.csv.gz" if gz else "bad.csv")
    f.write_bytes(gzip.compress(text.encode()) if gz else text.encode())
    for load in (load_rows, load_candles):
        with pytest.raises(CandleFileError) as e:
            load(f)
        assert e.value.line == line, load
        assert words in str(e.value)
        assert f"line {line}" in str(e.value)
        assert str(f) in str(e.value)


def test_gaps_are_normal_and_columns_may_be_reordered(tmp_path):
    f = tmp_path / "c.csv"
    f.write_text("open,high,low,close,volume,timestamp\n1,2,0.5,1.5,3,0\n1.5,2,1,1,0,600000\n")
    assert load_rows(f) == [(0, 1.0, 2.0, 0.5, 1.5, 3.0), (600000, 1.5, 2.0, 1.0, 1.0, 0.0)]
    assert load_candles(f).rows() == load_rows(f)


def test_missing_file(tmp_path):
    with pytest.raises(CandleFileError, match="no such file"):
        load_candles(tmp_path / "nope.csv")
    with pytest.raises(CandleFileError, match="cannot read"):
        load_rows(tmp_path / "nope.csv")


def test_cache_is_written_once_outside_tests_data(tmp_path, monkeypatch):
    monkeypatch.setenv("SEQUENCE_CACHE", str(tmp_path / "cache"))
    first = load_candles(MAIN_SET)
    assert not first.from_cache
    assert cache_dir() == tmp_path / "cache"
    files = sorted(p.name for p in (tmp_path / "cache").iterdir())
    assert len([f for f in files if f.endswith(".f64")]) == 1
    assert len([f for f in files if f.startswith("stat-")]) == 1
    second = load_candles(MAIN_SET)
    assert second.from_cache
    assert second.rows() == first.rows() == load_rows(MAIN_SET)
    assert len(second) == 30240
    assert not [p for p in MAIN_SET.parent.iterdir() if p.suffix == ".f64"]


def test_a_changed_file_is_parsed_again(tmp_path, monkeypatch):
    monkeypatch.setenv("SEQUENCE_CACHE", str(tmp_path / "cache"))
    f = tmp_path / "c.csv"
    f.write_text(HEADER + GOOD)
    assert len(load_candles(f)) == 2
    f.write_text(HEADER + GOOD + "120000,11,12,10,11,1\n")
    os.utime(f, ns=(1, 1))
    got = load_candles(f)
    assert len(got) == 3
    assert not got.from_cache


def test_numpy_columns(tmp_path):
    c = load_candles(MAIN_SET, numpy=True)
    assert c.close.dtype.name == "float64"
    assert float(c.ts[0]) == 1677628800000.0


BAD_17 = [
    (HEADER + "0,12,11,9,10.5,1\n", 2, "open 12.0 is outside [low 9.0, high 11.0]"),
    (HEADER + "0,10,11,9,8.5,1\n", 2, "close 8.5 is outside [low 9.0, high 11.0]"),
    (HEADER + "0,10,11,9,10.5,1,7\n", 2, "expected 6 columns, found 7"),
    (HEADER + GOOD + "120000,10,11,9,10,1,\n", 4, "expected 6 columns, found 7"),
    ("timestamp,open,high,low,close,volume,close\n0,1,2,0.5,1.5,1,1\n", 1, "named twice: 'close'"),
    (HEADER + "0," + "1" * 5000 + ",11,9,10.5,1\n", 2, "line longer than 4096 bytes"),
    (HEADER + "0,10,11,9,10.5,1\n" + "\n" * 1001 + "60000,10,11,9,10.5,1\n", 1003, "more than 1000 blank lines"),
    (HEADER + "1e300,10,11,9,10.5,1\n", 2, "column 'timestamp': out of range"),
    (HEADER + "0,10,1e101,9,10.5,1\n", 2, "high 1e+101 out of range: prices lie in [1e-100, 1e+100]"),
]


@pytest.mark.parametrize(("text", "line", "words"), BAD_17)
@pytest.mark.parametrize("gz", [False, True], ids=["csv", "gz"])
def test_rows_outside_their_range_or_shape_are_refused(tmp_path, text, line, words, gz):
    f = tmp_path / ("bad.csv.gz" if gz else "bad.csv")
    f.write_bytes(gzip.compress(text.encode()) if gz else text.encode())
    for load in (load_rows, load_candles):
        with pytest.raises(CandleFileError) as e:
            load(f)
        assert e.value.line == line, load
        assert words in str(e.value)


def test_not_utf8_names_the_line(tmp_path):
    f = tmp_path / "bad.csv"
    f.write_bytes((HEADER + GOOD).encode() + b"120000,1\xff,2,0.5,1,1\n")
    for load in (load_rows, load_candles):
        with pytest.raises(CandleFileError, match="line 4: not UTF-8 text"):
            load(f)


@pytest.mark.parametrize("gz", [False, True], ids=["csv", "gz"])
@pytest.mark.parametrize("crlf", [False, True], ids=["lf", "crlf"])
def test_a_utf8_bom_and_crlf_and_a_few_blank_lines_are_accepted(tmp_path, gz, crlf):
    text = HEADER + GOOD + "\n\n"
    if crlf:
        text = text.replace("\n", "\r\n")
    raw = b"\xef\xbb\xbf" + text.encode()
    f = tmp_path / ("bom.csv.gz" if gz else "bom.csv")
    f.write_bytes(gzip.compress(raw) if gz else raw)
    want = [(0, 10.0, 11.0, 9.0, 10.5, 1.0), (60000, 10.5, 12.0, 10.0, 11.0, 2.0)]
    assert load_rows(f) == want
    assert load_candles(f, cache=False).rows() == want


def _damaged(kind):
    good = gzip.compress((HEADER + GOOD * 1).encode() + b"".join(
        f"{120000 + 60000 * i},10,11,9,10,1\n".encode() for i in range(5000)))  # fmt: skip
    if kind == "truncated":
        return good[: len(good) // 2]
    if kind == "flipped":  # a corrupt deflate stream (or a CRC mismatch)
        mid = len(good) // 2
        return good[:mid] + bytes([good[mid] ^ 0xFF]) + good[mid + 1 :]
    if kind == "crc":
        return good[:-8] + bytes([good[-8] ^ 1]) + good[-7:]
    if kind == "trailing":
        return good + b"garbage after the stream"
    if kind == "header":
        return b"\x1f\x8b\x08\xff" + good[4:]
    if kind == "bzip2":
        import bz2

        return bz2.compress((HEADER + GOOD).encode())
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["truncated", "flipped", "crc", "trailing", "header", "bzip2"])
def test_a_damaged_compressed_stream_is_a_clear_error(tmp_path, kind):
    f = tmp_path / "bad.csv.gz"
    f.write_bytes(_damaged(kind))
    for load in (load_rows, load_candles):
        with pytest.raises(CandleFileError) as e:
            load(f)
        text = str(e.value)
        assert str(f) in text
        assert "damaged compressed data" in text or "compressed with bzip2" in text or "not UTF-8" in text


def test_memory_is_bounded_by_the_candles_kept_not_the_file_size(tmp_path):
    """256 MiB of blank lines (the issue's 3 GB case, scaled) gzip to about 256 KiB: refused after
    the first chunk, with a small peak of allocated memory."""
    import tracemalloc
    import zlib

    f = tmp_path / "blank.csv.gz"
    co = zlib.compressobj(6, zlib.DEFLATED, 31)
    block = b"\n" * (1 << 20)
    with f.open("wb") as fh:
        fh.write(co.compress((HEADER + GOOD).encode()))
        for _ in range(256):
            fh.write(co.compress(block))
        fh.write(co.flush())
    assert f.stat().st_size < 1 << 20
    for load in (load_rows, lambda p: load_candles(p, cache=False)):
        tracemalloc.start()
        try:
            with pytest.raises(CandleFileError, match="more than 1000 blank lines"):
                load(f)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert peak < 16 << 20, peak

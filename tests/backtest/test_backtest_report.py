"""The backtest report: every section is there and its figures agree with the run's own."""

import gzip
import json
import re
from html.parser import HTMLParser

import pytest
from PIL import Image

from sequence.backtest.cli import main
from tests.support.strategy_data import MAIN_SET


class Sections(HTMLParser):
    """Text of each <section id>, and the rows (cell texts) of its tables."""

    def __init__(self):
        super().__init__()
        self.text, self.rows, self.svg_dates = {}, {}, []
        self._sec = None
        self._row = None
        self._cell = None
        self._tx = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "section":
            self._sec = a["id"]
            self.text[self._sec], self.rows[self._sec] = "", []
        elif tag == "tr" and self._sec:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = ""
        elif tag == "text" and a.get("class") == "tx":
            self._tx = True

    def handle_endtag(self, tag):
        if tag == "section":
            self._sec = None
        elif tag in ("td", "th") and self._row is not None and self._cell is not None:
            self._row.append(self._cell)
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.rows[self._sec].append(self._row)
            self._row = None
        elif tag == "text":
            self._tx = False

    def handle_data(self, data):
        if self._sec:
            self.text[self._sec] += data
        if self._cell is not None:
            self._cell += data
        if self._tx:
            self.svg_dates.append(data)


def _candles():
    with gzip.open(MAIN_SET, "rt") as fh:
        rows = [line.split(",") for line in fh.read().splitlines()[1:]]
    return [(int(r[0]), float(r[1]), float(r[4])) for r in rows]


def _run(tmp_path, capsys, obj):
    p = tmp_path / "p.json"
    p.write_text(json.dumps(obj))
    html_out, png_out = tmp_path / "r.html", tmp_path / "r.png"
    assert main(["--candles", str(MAIN_SET), "--params", str(p), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    code = main(["--candles", str(MAIN_SET), "--params", str(p), "--report", str(html_out),
                 "--png", str(png_out)])
    assert code == 0
    parser = Sections()
    parser.feed(html_out.read_text())
    return summary, parser, html_out.read_text(), png_out


def _num(text):
    return float(re.sub(r"[^0-9eE.+-]", "", text))


@pytest.mark.parametrize("inverse", [False, True], ids=["linear", "inverse"])
def test_report_has_every_section_with_figures_that_agree(tmp_path, capsys, inverse):
    obj = {"contract": "inverse", "starting_balance": 1.0} if inverse else {}
    start = obj.get("starting_balance", 10_000.0)
    summary, doc, page, png = _run(tmp_path, capsys, obj)
    assert set(doc.text) == {"returns", "sides", "monthly", "open", "liquidation", "cycles"}

    # time on the x-axis: the first and last days of the file label the panels
    assert "2023-03-01 00:00" in doc.svg_dates
    # buy and hold, worked from the candle file itself: quote unit last close / first open - 1;
    # in the coin unit holding the coin is flat
    candles = _candles()
    hold = 0.0 if inverse else candles[-1][2] / candles[0][1] - 1
    (head, strat, bench) = doc.rows["returns"]
    assert head[1:4] == ["Return", "CAGR", "Max drawdown"]
    assert bench[0] == "Buy and hold" and _num(bench[1]) == pytest.approx(hold * 100, abs=0.006)
    total = summary["final_equity"] / start - 1
    assert _num(strat[1]) == pytest.approx(total * 100, abs=0.006)
    assert all(v not in ("nan", "inf") for v in strat)

    # per side and in total: the closed cycles add up to the run's count of closes
    sides = {r[0]: r for r in doc.rows["sides"][1:]}
    assert set(sides) == {"long", "short", "total"}
    assert int(sides["long"][1]) + int(sides["short"][1]) == int(sides["total"][1]) == summary["closes"]

    # the cycles table: one row per close, sortable; its PnL less the open cycles' fees is
    # exactly what the balance gained (the kernel books a cycle's PnL into B at its close)
    cycle_rows = doc.rows["cycles"][1:]
    assert len(cycle_rows) == summary["closes"]
    assert '<table class="sortable">' in page and "addEventListener('click'" in page
    assert {r[7] for r in cycle_rows} == {"take_profit"}
    pnl = sum(_num(r[8]) for r in cycle_rows)
    open_rows = {r[0]: r[1] for r in doc.rows["open"]}
    assert pnl == pytest.approx(_num(sides["total"][3]), abs=len(cycle_rows) * (5e-9 if inverse else 5e-7))
    open_fees = sum(_num(v) for k, v in open_rows.items() if "fees paid so far" in k)
    assert pnl - open_fees == pytest.approx(summary["final_balance"] - start, abs=len(cycle_rows) * (5e-9 if inverse else 5e-7))

    # the open position at the end: final equity = final balance + unrealised PnL
    upl = sum(_num(v) for k, v in open_rows.items() if "unrealised PnL" in k)
    assert summary["final_balance"] + upl == pytest.approx(summary["final_equity"], rel=1e-6)

    # one month in the file: its return is the run's
    (month,) = doc.rows["monthly"]
    assert month[0] == "2023-03" and _num(month[1]) == pytest.approx(total * 100, abs=0.006)

    # liquidation distance by the venue's formula, leverage stated
    assert "MMR (the margin rate kept against liquidation) 0.500 %" in doc.text["liquidation"]
    liq = {r[0]: r[1] for r in doc.rows["liquidation"]}
    assert any(k.endswith("liquidation price") for k in liq)
    assert any(k.startswith("Leverage at the end") for k in liq)

    # the PNG is labelled: its titles, axes and legends (also written as its text metadata)
    img = Image.open(png)
    assert img.size[0] >= 800 and img.size[1] >= 800
    desc = img.info["Description"]
    for words in ("Price and fills", "Equity in the unit of account", "buy and hold", "Drawdown",
                  "Monthly returns", "date (UTC)", "return (%)", "sell fills"):
        assert words in desc
    assert ("equity in USD" in desc) == inverse
    colours = img.convert("RGB").getcolors(maxcolors=1 << 20)
    assert len(colours) > 50  # drawn, not a blank canvas

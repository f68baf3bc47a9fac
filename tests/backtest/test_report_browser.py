"""The backtest report and the sweep report in a real browser, opened from disk (offline):
the cycles table sorts by a click on its heading; screenshots of both reports are kept."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sequence.backtest.cli import main
from tests.support.strategy_data import MAIN_SET

pytestmark = pytest.mark.e2e

ARTIFACTS = Path(__file__).resolve().parents[2] / "var" / "test-artifacts"


def _offline_page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, offline=True)
    page = context.new_page()
    asked = []
    page.on("request", lambda r: asked.append(r.url) if not r.url.startswith("file:") else None)
    return page, asked


def test_report_sorts_its_cycles_and_is_captured(browser, tmp_path):
    out, png = tmp_path / "report.html", ARTIFACTS / "backtest-report.png"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    assert main(["--candles", str(MAIN_SET), "--report", str(out), "--png", str(png)]) == 0
    page, asked = _offline_page(browser)
    page.goto(out.as_uri())
    table = page.locator("#cycles table.sortable")
    pnl_col = 9  # PnL (quote), 1-based for :nth-child

    def pnls():
        return [float(v) for v in table.locator(f"tbody td:nth-child({pnl_col})").evaluate_all(
            "(cells) => cells.map((c) => c.dataset.v)")]

    assert pnls() != sorted(pnls())  # in time order at first
    table.locator(f"thead th:nth-child({pnl_col})").click()
    assert pnls() == sorted(pnls())
    table.locator(f"thead th:nth-child({pnl_col})").click()
    assert pnls() == sorted(pnls(), reverse=True)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(ARTIFACTS / "backtest-report-html.png"))  # the top: stats and charts
    page.locator("#returns").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "backtest-report-sections.png"))
    page.screenshot(path=str(ARTIFACTS / "backtest-report-full.png"), full_page=True)
    assert asked == []


def test_sweep_heatmap_is_captured(browser, tmp_path):
    grid = tmp_path / "g.json"
    grid.write_text(json.dumps({"base": {"max_dca": 4}, "grid": {"spacing": [0.005, 0.01, 0.02],
                                                                  "markup": [0.003, 0.006, 0.01]}}))
    out = tmp_path / "sweep.html"
    assert main(["--candles", str(MAIN_SET), "--sweep", str(grid), "--quiet", "--out", str(tmp_path / "s.csv"),
                 "--sort", "calmar", "--split", "2023-03-15", "--sweep-report", str(out),
                 "--heatmap", "spacing,markup"]) == 0
    page, asked = _offline_page(browser)
    page.goto(out.as_uri())
    cells = page.locator("#heatmap g.cell")
    assert cells.count() == 18  # 3 x 3, train and test
    # a cell's tooltip names its parameters and value
    assert cells.locator("title").filter(has_text="spacing=0.01, markup=0.006:").count() == 2
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "sweep-heatmap.png"), full_page=True)
    assert asked == []

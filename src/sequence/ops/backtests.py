"""A strategy's backtest on the shipped candles: the backtester's own HTML report, built by a
job (``ops.strategy_backtest``) and kept per frozen version (:class:`BacktestReport`).

The report is the file ``sequence backtest --report`` writes; it carries its own inline style
and script, so the console serves it on its own URL in a sandbox (no same origin, no network).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from django.db import transaction

from sequence.catalog.selectors import strategy_version
from sequence.ops.jobs import defer
from sequence.ops.models import BacktestReport

CANDLES = (Path(__file__).resolve().parents[1] / "runtime" / "demo_data"
           / "binanceus_BTCUSDT_1m_2023-03.csv.gz")
REPORT_CSP = ("sandbox allow-scripts; default-src 'none'; style-src 'unsafe-inline'; "
              "script-src 'unsafe-inline'; img-src data:")


def backtest_request(version) -> bool:
    """Queue the version's backtest unless it is built or already queued; True if queued now."""
    from sequence.ops.tasks import strategy_backtest

    if BacktestReport.objects.filter(version=version).exists():
        return False
    return defer(strategy_backtest, queueing_lock=f"backtest:{version.pk}", version_id=version.pk) is not None


def backtest_build(*, version_id: int) -> BacktestReport:
    """Run the backtester over the shipped candles and keep its report (or why it failed)."""
    from sequence.backtest.data import load_candles
    from sequence.backtest.engine import run
    from sequence.backtest.report import write_report
    from sequence.strategy.params import Params, ParamsError

    version = strategy_version(version_id)
    existing = BacktestReport.objects.filter(version=version).first()
    if existing is not None:
        return existing
    html, error = "", ""
    try:
        params = Params.from_mapping(version.params)
        candles = load_candles(CANDLES)
        result = run(params, candles, record_fills=True, record_series=True)
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "report.html"
            write_report(str(out), params, candles, result)
            html = out.read_text(encoding="utf-8")
    except (ParamsError, ValueError) as exc:
        error = f"The backtester refused these parameters: {exc}"
    with transaction.atomic():
        report, _ = BacktestReport.objects.get_or_create(
            version=version, defaults={"candles": CANDLES.name, "html": html, "error": error})
    return report


def backtest_of(version) -> BacktestReport | None:
    if version is None:
        return None
    return BacktestReport.objects.filter(version=version).only("pk", "error", "created_at", "candles").first()

"""Shared test data for tests/strategy and tests/backtest."""

from pathlib import Path

CANDLES = Path(__file__).resolve().parent.parent / "data" / "candles"
MAIN_SET = CANDLES / "binanceus_BTCUSDT_1m_2023-03.csv.gz"

# DESIGN.md section 3, the second known answer
SECOND = {
    "wallet_exposure_limit": 0.5,
    "initial_qty_pct": 0.05,
    "ddown_factor": 1.5,
    "spacing": 0.008,
    "spacing_mult": 1.25,
    "we_weight": 0.5,
    "max_dca": 8,
    "markup": 0.004,
}

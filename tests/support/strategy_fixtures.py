"""Fixtures shared by tests/strategy and tests/backtest."""

import pytest

from tests.support.strategy_data import MAIN_SET


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory, monkeypatch):
    """The binary candle cache goes to a temp dir, never into tests/data."""
    monkeypatch.setenv("SEQUENCE_CACHE", str(tmp_path_factory.getbasetemp() / "candle-cache"))


@pytest.fixture(scope="session")
def main_rows():
    from sequence.core.candles import load_rows

    return load_rows(MAIN_SET)

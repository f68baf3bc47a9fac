"""Trading results in the unit of account, for the backtester and the live portfolio alike.

Pure (no Django, no exchange): it reads fills, funding and equity samples and computes
:mod:`~sequence.metrics.cycles` (cycles, per-side statistics, the open position),
:mod:`~sequence.metrics.returns` (return, CAGR, drawdown, Sharpe, Sortino, Calmar) and
:mod:`~sequence.metrics.series` (exposure, monthly returns, buy-and-hold, liquidation
distance). Money in and out of :mod:`cycles` is :class:`~decimal.Decimal` (the live ledger
reconciles exactly); curves are float64 inside.

Conventions (issue 13): daily equity at 00:00 UTC, annualised with sqrt(365), risk-free
rate 0, Calmar = CAGR / max drawdown.
"""

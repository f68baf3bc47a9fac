"""Curves beside the equity: USD value, exposure, monthly returns, buy-and-hold, liquidation.

Float64 inside; these feed charts and tables, the exact money is in :mod:`.cycles`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

__all__ = [
    "Exposure", "buy_and_hold", "exposure", "liquidation_price", "monthly_returns", "usd_curve",
]  # fmt: skip


def usd_curve(unit: str, equity: Sequence[float], price: Sequence[float]) -> list[float]:
    """Equity in USD at the market price of the time: ``E x P`` for a coin unit, ``E`` for quote.

    Example: 0.5 BTC at 40,000 -> 20,000 USD.
    """
    if unit == "coin":
        return [e * p for e, p in zip(equity, price, strict=True)]
    return [float(e) for e in equity]


@dataclass(frozen=True)
class Exposure:
    ratio: list[float]  # (long value + short value) / equity per sample
    mean: float
    max: float
    time_in_market: float  # share of samples with a position


def exposure(long_value: Sequence[float], short_value: Sequence[float],
             equity: Sequence[float]) -> Exposure:  # fmt: skip
    """``(|long value| + |short value|) / equity`` per sample, in the unit of account.

    A position's value: linear ``coins x P`` (quote), inverse ``contracts / P`` (coin).
    Example: values (0, 0), (50, 0), (50, 50) on equity 100 -> ratios 0, 0.5, 1.0; mean 0.5,
    max 1.0, time in market 2/3. Equity at or below 0 with a position counts as infinite
    exposure in ``max`` and is left out of the mean.
    """
    ratios = []
    held = 0
    for a, b, e in zip(long_value, short_value, equity, strict=True):
        v = abs(a) + abs(b)
        if v > 0:
            held += 1
        ratios.append(v / e if e > 0 else (float("inf") if v > 0 else 0.0))
    finite = [r for r in ratios if r != float("inf")]
    n = len(ratios)
    return Exposure(
        ratio=ratios, mean=sum(finite) / len(finite) if finite else 0.0,
        max=max(ratios, default=0.0), time_in_market=held / n if n else 0.0,
    )  # fmt: skip


def _month(ts_ms: int) -> str:
    return datetime.fromtimestamp(ts_ms / 1000, tz=UTC).strftime("%Y-%m")


def monthly_returns(ts_ms: Sequence[int], equity: Sequence[float]) -> list[tuple[str, float]]:
    """Each calendar month's (UTC) return: its last sample over the previous month's last - 1.

    The first month starts from the first sample. Example: (Jan 1, 100), (Jan 31, 110),
    (Feb 15, 99), (Feb 28, 121) -> [("YYYY-01", 0.10), ("YYYY-02", 0.10)].
    """
    out: list[tuple[str, float]] = []
    if not ts_ms:
        return out
    start = float(equity[0])
    month = _month(ts_ms[0])
    last = start
    for t, e in zip(ts_ms, equity, strict=True):
        m = _month(t)
        if m != month:
            out.append((month, last / start - 1.0 if start > 0 else 0.0))
            month, start = m, last
        last = float(e)
    out.append((month, last / start - 1.0 if start > 0 else 0.0))
    return out


def buy_and_hold(unit: str, start_equity: float, price: Sequence[float]) -> list[float]:
    """The starting equity put in the coin at the first price and held, in the unit of account.

    Quote unit: ``E0 x P_t / P_0`` (Example: 10,000 at 100 -> 12,000 at 120). Coin unit: the
    coin held is ``E0`` coins whatever the price: holding is the flat line an accumulating
    strategy must beat (in USD it is ``E0 x P_t``).
    """
    if not price:
        return []
    if unit == "coin":
        return [float(start_equity)] * len(price)
    p0 = price[0]
    return [start_equity * p / p0 for p in price]


def liquidation_price(contract: str, side: str, size: Decimal, entry: Decimal, wallet: Decimal,
                      mmr: Decimal = Decimal("0.005"), others_upl: Decimal = Decimal(0),
                      others_maintenance: Decimal = Decimal(0)) -> Decimal | None:  # fmt: skip
    """The simulated exchange's cross-margin liquidation price (``sequence.venue.risk``).

    Side sign ``s`` (+1 long, -1 short), size ``q``, entry ``E``, wallet ``W``, the other
    positions' unrealised PnL ``U`` and maintenance ``M``::

        linear:   liq = (M + s q E - W - U) / (q (s - mmr))
        inverse:  liq = q (s + mmr) / (s q / E + W + U - M)

    Example (linear long alone): q = 1 at E = 100, W = 50, mmr 0.005 ->
    (100 - 50) / 0.995 = 50.2513. None when there is no such price (no size, or it is <= 0).
    The venue also rounds it to the tick in the trader's favour; this is the unrounded value.
    """
    if size <= 0:
        return None
    s = 1 if side == "long" else -1
    q, e, w, u, m = size, entry, wallet, others_upl, others_maintenance
    if contract == "inverse":
        den = s * q / e + w + u - m
        price = q * (s + mmr) / den if den != 0 else None
    else:
        den = q * (s - mmr)
        price = (m + s * q * e - w - u) / den if den != 0 else None
    return price if price is not None and price > 0 else None

"""A backtest read through :mod:`sequence.metrics`: the same figures as the live portfolio.

The kernel's fills ``(i, side, kind, price, qty)`` become metric fills at candle ``i``'s
open time with the kernel's own fee (``maker_fee x qty x price`` in quote, ``maker_fee x
qty / price`` in coin). A coin-unit book (inverse, or spot with a coin base) sizes in quote
value like an inverse contract, so both read as ``contract="inverse"``. The equity curve
is the starting balance at the first candle's open, then the equity at each candle's close.

The CLI's ``max_drawdown`` (DESIGN.md's per-candle definition) is the kernel's and is not
recomputed here; :attr:`Analysis.returns` measures the same curve with
:func:`sequence.metrics.returns.drawdown`, which also gives its duration and recovery.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sequence.backtest.data import Candles
from sequence.backtest.engine import BacktestResult
from sequence.metrics.cycles import Cycle, MetricFill, OpenPosition, SideStats, build_cycles
from sequence.metrics.cycles import open_positions as _open_positions
from sequence.metrics.cycles import side_stats as _side_stats
from sequence.metrics.returns import Returns, returns
from sequence.metrics.series import (
    Exposure,
    buy_and_hold,
    exposure,
    liquidation_price,
    monthly_returns,
    usd_curve,
)  # fmt: skip
from sequence.strategy.params import Params

__all__ = ["MMR", "Analysis", "Liquidation", "analyse"]

KINDS = ("entry", "dca", "take_profit")
SIDES = ("long", "short")
# the simulated exchange's tier-1 maintenance margin rate (sequence.venue's default profile)
MMR = Decimal("0.005")


@dataclass(frozen=True)
class Liquidation:
    side: str
    price: Decimal | None
    distance: float | None  # |liq / mark - 1|
    leverage: float  # all positions' value / wallet, at the end


@dataclass
class Analysis:
    unit: str
    contract: str
    ts: list[int]  # curve times (ms): the first candle's open, then each candle's close
    equity: list[float]
    usd: list[float]
    price: list[float]
    benchmark: list[float]  # buy-and-hold in the unit of account
    returns: Returns
    benchmark_returns: Returns
    cycles: list[Cycle]
    stats: list[SideStats]
    exposure: Exposure
    exposure_long: Exposure
    exposure_short: Exposure
    monthly: list[tuple[str, float]]
    open_positions: list[OpenPosition]
    liquidation: list[Liquidation]
    mark: float


def _interval(candles: Candles) -> int:
    return int(candles.ts[1] - candles.ts[0]) if len(candles) > 1 else 60_000


def metric_fills(params: Params, candles: Candles, result: BacktestResult) -> list[MetricFill]:
    coin = params.coin_margined
    fee_rate = Decimal(repr(params.maker_fee))
    out = []
    for i, side, kind, price, qty in result.fill_tuples():
        p, q = Decimal(price), Decimal(qty)
        s, k = SIDES[side], KINDS[kind]
        out.append(MetricFill(
            ts_ms=int(candles.ts[i]), side=s, kind=k, buy=(s == "long") != (k == "take_profit"),
            price=p, qty=q, fee=fee_rate * q / p if coin else fee_rate * q * p,
            fee_in="coin" if coin else "quote",
        ))  # fmt: skip
    return out


def analyse(params: Params, candles: Candles, result: BacktestResult) -> Analysis:
    """Every figure of the report; ``result`` must carry its fills and series."""
    unit = "coin" if params.coin_margined else "quote"
    contract = "inverse" if params.coin_margined else "linear"
    n, k = result.candles, result.candles_run
    s = result.series
    eq, ql, qs = list(s[:k]), list(s[n : n + k]), list(s[2 * n : 2 * n + k])
    step = _interval(candles)
    close = [float(c) for c in list(candles.close)[:k]]
    ts0 = int(candles.ts[0]) if k else 0
    ts = [ts0] + [int(t) + step for t in list(candles.ts)[:k]]
    equity = [params.starting_balance, *eq]
    price = [float(candles.open[0]) if k else 0.0, *close]
    cycles = build_cycles(metric_fills(params, candles, result), contract=contract)
    mark = close[-1] if close else 0.0
    opens = _open_positions(cycles, contract=contract, unit=unit, mark=Decimal(mark)) if k else []

    def value(q: float, c: float) -> float:
        return q / c if params.coin_margined else q * c

    lv = [0.0] + [value(a, c) for a, c in zip(ql, close, strict=True)]
    sv = [0.0] + [value(b, c) for b, c in zip(qs, close, strict=True)]
    bench = buy_and_hold(unit, params.starting_balance, price)
    return Analysis(
        unit=unit, contract=contract, ts=ts, equity=equity, usd=usd_curve(unit, equity, price),
        price=price, benchmark=bench, returns=returns(ts, equity),
        benchmark_returns=returns(ts, bench), cycles=cycles, stats=_side_stats(cycles, unit),
        exposure=exposure(lv, sv, equity), exposure_long=exposure(lv, [0.0] * len(lv), equity),
        exposure_short=exposure([0.0] * len(sv), sv, equity),
        monthly=monthly_returns(ts, equity), open_positions=opens,
        liquidation=_liquidation(params, contract, result, opens, mark), mark=mark,
    )  # fmt: skip


def _liquidation(params: Params, contract: str, result: BacktestResult,
                 opens: list[OpenPosition], mark: float) -> list[Liquidation]:  # fmt: skip
    """The venue's cross-margin formula for each open position, the other held at the mark."""
    if params.market != "derivatives" or not opens or mark <= 0:
        return []
    m = Decimal(mark)
    wallet = Decimal(result.final_balance)

    def val(p: OpenPosition) -> Decimal:
        return p.size / m if contract == "inverse" else p.size * m

    total_value = sum((val(p) for p in opens), Decimal(0))
    leverage = float(total_value / wallet) if wallet > 0 else float("inf")
    out = []
    for pos in opens:
        others = [o for o in opens if o is not pos]
        liq = liquidation_price(
            contract, pos.side, pos.size, pos.average_entry, wallet, MMR,
            others_upl=sum((o.unrealised_pnl for o in others), Decimal(0)),
            others_maintenance=sum((val(o) * MMR for o in others), Decimal(0)),
        )  # fmt: skip
        dist = abs(float(liq) / mark - 1.0) if liq is not None else None
        out.append(Liquidation(pos.side, liq, dist, leverage))
    return out

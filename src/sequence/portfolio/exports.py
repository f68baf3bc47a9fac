"""The client's downloads (G2) and the charts' data: closed cycles and fills, in both units.

CSV columns carry the unit of account (``pnl_BTC``) and USD beside it; each cycle lists the
exchange's own trade ids of its fills. Amounts are the ledger's Decimals written in full
(no rounding), so the sums of a parsed CSV equal the page's figures. A cycle's PnL includes
its funding (``funding_BTC``); ``quote_left`` is the quote currency the cycle left over
(a BTC-base spot cycle's USDT, the buy-back's lot rounding), ``quote_left_BTC`` the same at
the cycle's close price (part of its PnL), so ``pnl - quote_left_BTC`` is the change in BTC.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sequence.portfolio.selectors import Performance


def _iso(ms: int | None) -> str:
    return "" if ms is None else datetime.fromtimestamp(ms / 1000, tz=UTC).isoformat()


def _usd(perf: Performance, amount: Decimal, price: Decimal | None) -> Decimal | str:
    if not perf.unit_is_coin:
        return amount
    return amount * price if price else ""


def cycles_csv(perf: Performance) -> str:
    u = perf.unit
    mu = perf.metric_unit
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["side", "cycle", "entry_time", "exit_time", "ending", "entry_price", "exit_price",
                "dca_depth", "duration_seconds", f"pnl_{u}", "pnl_USD", f"fees_{u}", "fees_USD",
                f"funding_{u}", "funding_USD", "quote_left", f"quote_left_{u}", "trade_ids"])  # fmt: skip
    for c in perf.closed:
        pnl, fees = c.pnl(mu), c.fees(mu)
        left = c.quote_left()
        w.writerow([c.side, c.number, _iso(c.entry_ts), _iso(c.exit_ts), c.ending, c.entry_price,
                    c.exit_price, c.dca_depth, (c.duration_ms or 0) / 1000, pnl,
                    _usd(perf, pnl, c.last_price), fees, _usd(perf, fees, c.last_price), c.funding,
                    _usd(perf, c.funding, c.last_price), left,
                    left / c.last_price if perf.unit_is_coin and left else left,
                    " ".join(c.trade_ids)])  # fmt: skip
    return out.getvalue()


def fills_csv(perf: Performance) -> str:
    u = perf.unit
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["time", "trade_id", "side", "kind", "cycle", "direction", "price", "qty", "fee",
                "fee_currency", f"fee_{u}", "fee_USD", "ours"])  # fmt: skip
    for f in perf.fills:
        fee = f.fee or Decimal(0)
        coin_fee = f.fee_currency.upper() == perf.bot.offering.symbol.split("/")[0].upper()
        if perf.unit_is_coin:
            fee_unit = fee if coin_fee else fee / f.price
            fee_usd = fee * f.price if coin_fee else fee
        else:
            fee_unit = fee * f.price if coin_fee else fee
            fee_usd = fee_unit
        w.writerow([f.executed_at.isoformat(), f.trade_id, f.side, f.kind or "manual", f.cycle,
                    "buy" if f.buy else "sell", f.price, f.qty, fee, f.fee_currency, fee_unit,
                    fee_usd, "no" if f.foreign else "yes"])  # fmt: skip
    return out.getvalue()


def _num(x: Decimal | float | None) -> float | None:
    return None if x is None else float(x)


def chart_data(perf: Performance) -> dict[str, Any]:
    """The charts' JSON: equity points (unit and USD), closed cycles, the summary figures.

    The summary's money is also given as exact decimal strings (``*_exact``): the page shows
    them and a CSV's sums are checked against them.
    """
    mu = perf.metric_unit
    r = perf.returns
    return {
        "unit": perf.unit,
        "points": [{"t": p.at.isoformat(), "equity": float(p.equity), "usd": float(p.usd),
                    "kind": p.kind} for p in perf.points],
        "cycles": [{"t": _iso(c.exit_ts), "entry": _iso(c.entry_ts), "side": c.side,
                    "number": c.number, "pnl": float(c.pnl(mu)), "pnl_exact": str(c.pnl(mu)),
                    "fees_exact": str(c.fees(mu)), "funding_exact": str(c.funding),
                    "quote_left_exact": str(c.quote_left()), "ending": c.ending, "dca_depth": c.dca_depth,
                    "entry_price": str(c.entry_price), "exit_price": str(c.exit_price)}
                   for c in perf.closed],
        "summary": {
            "cycles": len(perf.closed), "realised": float(perf.realised),
            "realised_exact": str(perf.realised), "fees_exact": str(perf.fees),
            "funding_exact": str(perf.funding_closed), "funding_total_exact": str(perf.funding_total),
            "funding_outside_exact": str(perf.funding_outside),
            "equity": _num(perf.equity), "equity_exact": None if perf.equity is None else str(perf.equity),
            "return": None if r is None else r.total_return,
            "max_drawdown": None if r is None else r.drawdown.max,
            "return_pct": None if r is None or r.total_return is None else r.total_return * 100,
            "max_drawdown_pct": None if r is None else r.drawdown.max * 100,
        },
    }

"""ccxt unified structures -> our Decimal domain objects."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sequence.exchanges.domain import (
    Balance,
    Fill,
    LedgerEntry,
    LedgerKind,
    Market,
    MarketKind,
    Order,
    OrderStatus,
    Position,
    PositionSide,
    Side,
    Ticker,
)
from sequence.exchanges.errors import MalformedResponseError

DECIMAL_PLACES = 2  # ccxt.base.decimal_to_precision.DECIMAL_PLACES
SIGNIFICANT_DIGITS = 3


def dec(value: Any) -> Decimal | None:
    """ccxt numbers (float, int or str) -> Decimal via their shortest repr; None stays None.

    Absent (``None`` or ``""``) is ``None``. Anything else that is not a finite number
    (``"abc"``, ``NaN``, ``inf``, a list) raises :class:`MalformedResponseError`: an
    unreadable amount is an exchange error, never a silent "no value".
    """
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise _malformed(value)
    try:
        out = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise _malformed(value) from None
    if not out.is_finite():
        raise _malformed(value)
    return out


def dec0(value: Any) -> Decimal:
    """Like :func:`dec`, with an absent value read as 0 (venues send ``""`` for zero)."""
    out = dec(value)
    return out if out is not None else Decimal(0)


def required(value: Any, what: str) -> Decimal:
    """A value the venue must send (a fill's price): absent is malformed too."""
    out = dec(value)
    if out is None:
        raise MalformedResponseError(f"the exchange sent no {what}")
    return out


def _malformed(value: Any) -> MalformedResponseError:
    shown = repr(value)
    shown = shown if len(shown) <= 40 else shown[:37] + "..."
    return MalformedResponseError(f"the exchange sent an amount that is not a number: {shown}")


def ts(ms: Any) -> datetime | None:
    if ms is None:
        return None
    try:
        return datetime.fromtimestamp(int(ms) / 1000, tz=UTC)
    except (TypeError, ValueError, OverflowError):
        return None


def ms(when: datetime) -> int:
    if when.tzinfo is None:
        raise ValueError("naive datetime: pass an aware UTC datetime")
    return int(when.timestamp() * 1000)


def market_kind(m: dict[str, Any]) -> MarketKind | None:
    if m.get("spot"):
        return MarketKind.SPOT
    if m.get("swap") and m.get("linear"):
        return MarketKind.LINEAR
    if m.get("swap") and m.get("inverse"):
        return MarketKind.INVERSE
    return None


def _step(value: Any, mode: int) -> Decimal | None:
    d = dec(value)
    if d is None:
        return None
    if mode == DECIMAL_PLACES:
        return Decimal(1).scaleb(-int(d))
    return d


def parse_market(m: dict[str, Any], precision_mode: int) -> Market | None:
    kind = market_kind(m)
    if kind is None:
        return None
    precision = m.get("precision") or {}
    limits = m.get("limits") or {}
    return Market(
        symbol=m["symbol"],
        exchange_symbol=str(m.get("id")),
        kind=kind,
        base=m.get("base"),  # type: ignore[arg-type]  # ccxt's untyped dicts; its unified structures always set the key
        quote=m.get("quote"),  # type: ignore[arg-type]  # ccxt's untyped dicts; its unified structures always set the key
        settle=m.get("settle"),
        contract_size=dec(m.get("contractSize")) if kind is not MarketKind.SPOT else None,
        price_tick=_step(precision.get("price"), precision_mode),
        amount_step=_step(precision.get("amount"), precision_mode),
        min_amount=dec((limits.get("amount") or {}).get("min")),
        min_cost=dec((limits.get("cost") or {}).get("min")),
        active=m.get("active") is not False,
    )


def parse_balances(raw: dict[str, Any]) -> dict[str, Balance]:
    out = {}
    totals = raw.get("total") or {}
    for code, total in totals.items():
        if total is None:
            continue
        free = (raw.get("free") or {}).get(code)
        used = (raw.get("used") or {}).get(code)
        t = dec0(total)
        f = dec(free)
        u = dec(used)
        if f is None and u is not None:
            f = t - u
        if u is None and f is not None:
            u = t - f
        out[code.upper()] = Balance(code.upper(), t, f if f is not None else t,
                                    u if u is not None else Decimal(0))
    return out


def parse_position(p: dict[str, Any]) -> Position | None:
    size = dec0(p.get("contracts"))
    if size == 0:
        return None
    side = p.get("side")
    if side not in ("long", "short"):
        return None
    return Position(
        symbol=p["symbol"],
        side=PositionSide(side),
        size=abs(size),
        entry_price=dec(p.get("entryPrice")),
        mark_price=dec(p.get("markPrice")),
        unrealized_pnl=dec(p.get("unrealizedPnl")),
        leverage=dec(p.get("leverage")),
        hedged=bool(p.get("hedged")),
        liquidation_price=dec(p.get("liquidationPrice")),
    )


_STATUS = {
    "open": OrderStatus.OPEN,
    "closed": OrderStatus.FILLED,
    "canceled": OrderStatus.CANCELED,
    "cancelled": OrderStatus.CANCELED,
    "rejected": OrderStatus.REJECTED,
    "expired": OrderStatus.EXPIRED,
}


def parse_order(o: dict[str, Any], position_side: PositionSide | None = None) -> Order:
    side = o.get("side")
    return Order(
        id=str(o.get("id")) if o.get("id") is not None else "",
        client_order_id=o.get("clientOrderId") or None,
        symbol=o.get("symbol"),  # type: ignore[arg-type]  # ccxt's untyped dicts; its unified structures always set the key
        side=Side(side) if side in ("buy", "sell") else None,
        type=o.get("type"),
        price=dec(o.get("price")),
        amount=dec(o.get("amount")),
        filled=dec(o.get("filled")),
        remaining=dec(o.get("remaining")),
        status=_STATUS.get(o.get("status") or "", OrderStatus.UNKNOWN),
        post_only=o.get("postOnly"),
        reduce_only=o.get("reduceOnly"),
        position_side=position_side,
        timestamp=ts(o.get("timestamp")),
    )


def parse_ticker(t: dict[str, Any], symbol: str) -> Ticker:
    return Ticker(symbol=t.get("symbol") or symbol, bid=dec(t.get("bid")), ask=dec(t.get("ask")),
                  last=dec(t.get("last")), timestamp=ts(t.get("timestamp")))


def parse_fill(t: dict[str, Any], client_order_id: str | None = None,
               position_side: PositionSide | None = None) -> Fill:
    fee = t.get("fee") or {}
    side = t.get("side")
    taker_or_maker = t.get("takerOrMaker")
    return Fill(
        id=str(t.get("id")),
        order_id=str(t["order"]) if t.get("order") is not None else None,
        client_order_id=client_order_id or t.get("clientOrderId") or None,
        symbol=t.get("symbol"),  # type: ignore[arg-type]  # ccxt's untyped dicts; its unified structures always set the key
        side=Side(side) if side in ("buy", "sell") else None,
        price=required(t.get("price"), "fill price"),
        amount=required(t.get("amount"), "fill amount"),
        cost=dec(t.get("cost")),
        fee=dec(fee.get("cost")),
        fee_currency=fee.get("currency"),
        maker=None if taker_or_maker is None else taker_or_maker == "maker",
        timestamp=ts(t.get("timestamp")),
        position_side=position_side,
        reduce_only=_reduces(t, side, position_side),
    )


def _reduces(t: dict[str, Any], side: Any, position_side: PositionSide | None) -> bool | None:
    """Whether the fill reduced a position, where known: the venue's flag, else hedge mode's
    rule (a sell on the long side, a buy on the short side). One-way mode: unknown."""
    if isinstance(t.get("reduceOnly"), bool):
        return bool(t["reduceOnly"])  # already known to be a bool; bool() types it
    if position_side is None or side not in ("buy", "sell"):
        return None
    return (side == "sell") is (position_side is PositionSide.LONG)


_LEDGER = {
    "trade": LedgerKind.TRADE,
    "transfer": LedgerKind.TRANSFER,
    "fee": LedgerKind.FEE,
    "funding": LedgerKind.FUNDING,
    "settlement": LedgerKind.FUNDING,
    "rebate": LedgerKind.FEE,
}


def parse_ledger_entry(e: dict[str, Any], kind: LedgerKind | None = None) -> LedgerEntry:
    raw_type = e.get("type")
    if kind is None:
        if raw_type == "transaction":
            kind = LedgerKind.DEPOSIT if e.get("direction") == "in" else LedgerKind.WITHDRAWAL
        elif raw_type in ("deposit", "withdrawal"):
            kind = LedgerKind(raw_type)
        else:
            kind = _LEDGER.get(raw_type or "", LedgerKind.OTHER)
    amount = abs(dec0(e.get("amount")))
    if e.get("direction") == "out":
        amount = -amount
    return LedgerEntry(
        id=str(e["id"]) if e.get("id") is not None else None,
        kind=kind,
        currency=e.get("currency"),
        amount=amount,
        balance_after=dec(e.get("after")),
        timestamp=ts(e.get("timestamp")),
        reference_id=str(e["referenceId"]) if e.get("referenceId") else None,
        exchange_type=raw_type,
    )

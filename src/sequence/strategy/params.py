"""The strategy's parameter set: frozen, keyword-only, validated (DESIGN.md section 3).

A parameter file (JSON object) may omit any key (it takes the default) and may
not contain unknown keys. Every error names the field.

>>> Params().wallet_exposure_limit, Params().max_dca, Params().sides
(1.0, 6, 'both')
>>> Params.from_mapping({"spacing": -1})
Traceback (most recent call last):
...
sequence.strategy.params.ParamsError: spacing: must be positive, got -1
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

__all__ = ["Params", "ParamsError", "load_params"]

SIDES = ("both", "long", "short")
MARKETS = ("derivatives", "spot")
CONTRACTS = ("linear", "inverse")


class ParamsError(ValueError):
    """Invalid parameters. ``errors`` is a list of ``(field, message)``; ``field`` the first."""

    def __init__(self, errors: list[tuple[str, str]], source: str | None = None) -> None:
        self.errors = errors
        self.field = errors[0][0] if errors else ""
        self.source = source
        text = "; ".join(f"{f}: {m}" if f else m for f, m in errors)
        super().__init__(f"{source}: {text}" if source else text)


@dataclass(frozen=True, kw_only=True, slots=True)
class Params:
    """One parameter set. Amounts are float64, as the backtester computes them.

    ``wallet_exposure_limit`` (WEL) caps each side's position cost / balance.
    ``market`` is ``derivatives`` or ``spot``; ``contract`` ``linear`` or
    ``inverse`` (derivatives only). Spot runs one side, the one that spends the
    account's base currency: ``long`` with a quote (USDT) base, ``short`` with a
    coin (BTC) base whose PnL is counted in the coin, like an inverse contract.
    """

    wallet_exposure_limit: float = 1.0
    initial_qty_pct: float = 0.01
    ddown_factor: float = 1.0
    spacing: float = 0.01
    spacing_mult: float = 1.5
    we_weight: float = 0.0
    max_dca: int = 6
    markup: float = 0.005
    maker_fee: float = 0.0002
    sides: str = "both"
    market: str = "derivatives"
    contract: str = "linear"
    starting_balance: float = 10000.0

    def __post_init__(self) -> None:
        errors = _check(self)
        if errors:
            raise ParamsError(errors)

    # -- derived ------------------------------------------------------------
    @property
    def long_enabled(self) -> bool:
        return self.sides in ("both", "long")

    @property
    def short_enabled(self) -> bool:
        return self.sides in ("both", "short")

    @property
    def coin_margined(self) -> bool:
        """True when balance and PnL are in the coin: inverse contracts, or spot with a coin base."""
        return self.contract == "inverse" or (self.market == "spot" and self.sides == "short")

    @property
    def unit(self) -> str:
        """The unit of account: ``coin`` or ``quote``."""
        return "coin" if self.coin_margined else "quote"

    def replace(self, **changes: Any) -> Params:
        return Params.from_mapping({**self.to_dict(), **changes})

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], source: str | None = None) -> Params:
        """Build from a mapping (e.g. parsed JSON); all errors are collected into one ParamsError."""
        if not isinstance(data, Mapping):
            raise ParamsError(
                [("", f"parameters must be a JSON object, got {type(data).__name__}")], source
            )
        errors: list[tuple[str, str]] = []
        known = {f.name: f for f in fields(cls)}
        values: dict[str, Any] = {}
        for key in data:
            if key not in known:
                errors.append((str(key), f"unknown parameter (known: {', '.join(known)})"))
        for name, f in known.items():
            if name not in data:
                continue
            raw = data[name]
            kind = f.type
            if kind == "float":
                if isinstance(raw, bool) or not isinstance(raw, int | float):
                    errors.append((name, f"must be a number, got {_describe(raw)}"))
                    continue
                values[name] = float(raw)
            elif kind == "int":
                if isinstance(raw, bool) or not isinstance(raw, int):
                    if isinstance(raw, float) and raw.is_integer():
                        values[name] = int(raw)
                        continue
                    errors.append((name, f"must be an integer, got {_describe(raw)}"))
                    continue
                values[name] = raw
            else:
                if not isinstance(raw, str):
                    errors.append((name, f"must be a string, got {_describe(raw)}"))
                    continue
                values[name] = raw
        if errors:
            raise ParamsError(errors, source)
        try:
            return cls(**values)
        except ParamsError as e:
            raise ParamsError(e.errors, source) from None


def _describe(value: Any) -> str:
    text = json.dumps(value) if isinstance(value, str | bool | type(None)) else repr(value)
    kind = {bool: "boolean", str: "string", type(None): "null", list: "array", dict: "object"}
    return f"{kind.get(type(value), type(value).__name__)} {text}"


def _check(p: Params) -> list[tuple[str, str]]:
    errors: list[tuple[str, str]] = []
    for f in fields(p):
        v = getattr(p, f.name)
        if f.type == "float" and (
            isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v)
        ):
            errors.append((f.name, f"must be a finite number, got {v!r}"))
        if f.type == "int" and (isinstance(v, bool) or not isinstance(v, int)):
            errors.append((f.name, f"must be an integer, got {v!r}"))
        if f.type == "str" and not isinstance(v, str):
            errors.append((f.name, f"must be a string, got {v!r}"))
    if errors:
        return errors
    for name in (
        "wallet_exposure_limit",
        "initial_qty_pct",
        "ddown_factor",
        "spacing",
        "spacing_mult",
        "max_dca",
        "markup",
        "starting_balance",
    ):
        v = getattr(p, name)
        if not v > 0:
            errors.append((name, f"must be positive, got {v!r}"))
    for name in ("we_weight", "maker_fee"):
        v = getattr(p, name)
        if v < 0:
            errors.append((name, f"must be zero or positive, got {v!r}"))
    if p.spacing_mult > 0 and p.spacing_mult < 1:
        errors.append(("spacing_mult", f"must be at least 1, got {p.spacing_mult!r}"))
    if p.initial_qty_pct > 1:
        errors.append(
            ("initial_qty_pct", f"must be at most 1 (a share of the limit), got {p.initial_qty_pct!r}")
        )
    if p.markup > 0 and p.maker_fee >= 0 and not (1 + p.markup) * (1 - p.maker_fee) > 1:
        errors.append(
            (
                "markup",
                f"(1+markup)*(1-maker_fee) must exceed 1 so a take-profit never closes at a loss; "
                f"markup {p.markup!r} with maker_fee {p.maker_fee!r} does not",
            )
        )
    if p.sides not in SIDES:
        errors.append(("sides", f"must be one of {', '.join(SIDES)}, got {p.sides!r}"))
    if p.market not in MARKETS:
        errors.append(("market", f"must be one of {', '.join(MARKETS)}, got {p.market!r}"))
    if p.contract not in CONTRACTS:
        errors.append(("contract", f"must be one of {', '.join(CONTRACTS)}, got {p.contract!r}"))
    if p.market == "spot":
        if p.sides == "both":
            errors.append(
                (
                    "sides",
                    "spot runs one side: 'long' (spends the quote currency, e.g. USDT) "
                    "or 'short' (spends the coin, e.g. BTC)",
                )
            )
        if p.contract != "linear":
            errors.append(("contract", "spot has no contracts: leave contract 'linear'"))
        if p.wallet_exposure_limit > 1:
            errors.append(
                (
                    "wallet_exposure_limit",
                    f"spot cannot borrow: must be at most 1, got {p.wallet_exposure_limit!r}",
                )
            )
    return errors


def load_params(path: str | os.PathLike[str]) -> Params:
    """Read a JSON parameter file; any problem becomes a ParamsError naming the file and field."""
    source = str(path)
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except OSError as e:
        raise ParamsError([("", f"cannot read: {e.strerror or e}")], source) from None
    except UnicodeDecodeError:
        raise ParamsError([("", "not UTF-8 text")], source) from None
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as e:
        raise ParamsError(
            [("", f"invalid JSON at line {e.lineno} column {e.colno}: {e.msg}")], source
        ) from None
    except ValueError as e:
        raise ParamsError([("", str(e))], source) from None
    return Params.from_mapping(data, source)


def _reject_constant(name: str) -> float:
    raise ValueError(f"invalid JSON: {name} is not a number")


DEFAULTS = Params()
FIELD_NAMES = tuple(f.name for f in dataclasses.fields(Params))

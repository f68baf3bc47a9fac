"""The strategy's parameter set: frozen, keyword-only, validated (DESIGN.md section 3).

A parameter file (JSON object) may omit any key (it takes the default) and may
not contain unknown keys. Every error names the field.

>>> Params().wallet_exposure_limit, Params().max_dca, Params().sides
(1.0, 6, 'both')
>>> Params.from_mapping({"spacing": -1})
Traceback (most recent call last):
...
sequence.strategy.params.ParamsError: spacing: must be positive, got -1.0
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

__all__ = ["BOUNDS", "Params", "ParamsError", "default_starting_balance", "load_params", "parse_json"]

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

    ``starting_balance`` is in the unit of account (:attr:`unit`): left out (or
    ``None``), it is 10,000 for a quote unit and 1.0 for a coin unit.

    Every accepted set runs identically in every engine (plain Python, numba,
    :func:`sequence.strategy.replay.replay`): the bounds below keep every
    intermediate value finite and every integer exact in float64 (the compiled
    kernel reads ``max_dca`` from a float vector), ``x ** k`` below overflow
    (``spacing_mult ** max_dca <= 10 ** 100``), and ``maker_fee * WEL <= 0.5``
    so no fee can take the balance to zero. The rules, checked by
    :meth:`from_mapping` and the constructor alike:
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
    starting_balance: float = None  # type: ignore[assignment]  # None: the unit's default

    def __post_init__(self) -> None:
        if self.starting_balance is None:
            object.__setattr__(self, "starting_balance", default_starting_balance(self))
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
    def spot_coin_base(self) -> bool:
        """Spot with a coin base: the short side sells the coin and buys more back. Its sizes
        are in quote (``q``, USDT) while the market's lot is in the coin (BTC)."""
        return self.market == "spot" and self.sides == "short"

    @property
    def unit(self) -> str:
        """The unit of account: ``coin`` or ``quote``."""
        return "coin" if self.coin_margined else "quote"

    def replace(self, **changes: Any) -> Params:
        """A copy with ``changes``; a starting balance equal to the unit's default follows the unit."""
        base = self.to_dict()
        if base["starting_balance"] == default_starting_balance(self):
            del base["starting_balance"]
        return Params.from_mapping({**base, **changes})

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
                name = key if key.isidentifier() and key.isascii() else json.dumps(key)
                errors.append((name, f"unknown parameter (known: {', '.join(known)})"))
        for name in known:
            if name not in data:
                continue
            raw = data[name]
            kind = KINDS[name]
            if name == "starting_balance" and raw is None:
                continue  # the unit's default
            if kind == "float":
                if isinstance(raw, bool) or not isinstance(raw, int | float):
                    errors.append((name, f"must be a number, got {_describe(raw)}"))
                    continue
                try:
                    values[name] = float(raw)
                except OverflowError:
                    errors.append((name, f"must be a finite number, got {_describe(raw)}"))
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
    if len(text) > 40:
        text = text[:37] + "..."
    kind = {bool: "boolean", str: "string", type(None): "null", list: "array", dict: "object"}
    return f"{kind.get(type(value), type(value).__name__)} {text}"


def default_starting_balance(p: Params) -> float:
    """10,000 in a quote unit, 1.0 in a coin unit (a coin-margined book: inverse, or spot short)."""
    return 1.0 if p.coin_margined else 10000.0


def _bound_errors(name: str, v: float) -> list[tuple[str, str]]:
    lo, lo_in, hi, hi_in, why = BOUNDS[name]
    if lo == 0 and not lo_in and not v > 0:
        return [(name, f"must be positive, got {v!r}")]
    if lo == 0 and lo_in and v < 0:
        return [(name, f"must be zero or positive, got {v!r}")]
    if lo != 0 and (v < lo or (v == lo and not lo_in)):
        word = "at least" if lo_in else "above"
        return [(name, f"must be {word} {lo:g}, got {v!r}")]
    if v > hi or (v == hi and not hi_in):
        word = "at most" if hi_in else "below"
        return [(name, f"must be {word} {hi:g} ({why}), got {v!r}")]
    return []


def _check(p: Params) -> list[tuple[str, str]]:
    errors: list[tuple[str, str]] = []
    for name, kind in KINDS.items():
        v = getattr(p, name)
        if kind == "float" and (
            isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v)
        ):
            errors.append((name, f"must be a finite number, got {v!r}"))
        if kind == "int" and (isinstance(v, bool) or not isinstance(v, int)):
            errors.append((name, f"must be an integer, got {v!r}"))
        if kind == "str" and not isinstance(v, str):
            errors.append((name, f"must be a string, got {v!r}"))
    if errors:
        return errors
    for name in BOUNDS:
        errors.extend(_bound_errors(name, getattr(p, name)))
    if not errors and not p.markup * (1 - p.maker_fee) > 2 * p.maker_fee:
        errors.append(
            (
                "markup",
                f"markup*(1-maker_fee) must exceed 2*maker_fee so a whole cycle (entry fee "
                f"included) never closes at a loss; markup {p.markup!r} with maker_fee "
                f"{p.maker_fee!r} does not",
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


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"invalid JSON: duplicate key {key!r}")
        out[key] = value
    return out


def parse_json(text: str) -> Any:
    """Strict JSON: NaN/Infinity and duplicate keys refused (ValueError with the reason)."""
    return json.loads(text, parse_constant=_reject_constant, object_pairs_hook=_no_duplicates)


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
        data = parse_json(text)
    except json.JSONDecodeError as e:
        raise ParamsError(
            [("", f"invalid JSON at line {e.lineno} column {e.colno}: {e.msg}")], source
        ) from None
    except RecursionError:
        raise ParamsError([("", "invalid JSON: nested too deeply")], source) from None
    except ValueError as e:
        raise ParamsError([("", str(e))], source) from None
    return Params.from_mapping(data, source)


def _reject_constant(name: str) -> float:
    raise ValueError(f"invalid JSON: {name} is not a number")


KINDS = {
    "wallet_exposure_limit": "float",
    "initial_qty_pct": "float",
    "ddown_factor": "float",
    "spacing": "float",
    "spacing_mult": "float",
    "we_weight": "float",
    "max_dca": "int",
    "markup": "float",
    "maker_fee": "float",
    "sides": "str",
    "market": "str",
    "contract": "str",
    "starting_balance": "float",
}
# name: (low, low included, high, high included, why the high bound)
BOUNDS: dict[str, tuple[float, bool, float, bool, str]] = {
    "wallet_exposure_limit": (0.0, False, 50.0, True, "with maker_fee <= 0.01 no fee empties the wallet"),
    "initial_qty_pct": (0.0, False, 1.0, True, "a share of the limit"),
    "ddown_factor": (0.0, False, 1000.0, True, "a DCA at most 1000 times the position"),
    "spacing": (0.0, False, 1.0, False, "the first long DCA level is above zero; a later one at or below zero is not placed"),
    "spacing_mult": (1.0, True, 10.0, True, "spacing_mult ** max_dca must stay finite"),
    "we_weight": (0.0, True, 100.0, True, "the level's exposure term stays finite"),
    "max_dca": (1, True, 100, True, "an integer every engine computes exactly"),
    "markup": (1e-6, True, 1.0, False, "a short take-profit must stay above zero"),
    "maker_fee": (0.0, True, 0.01, True, "with WEL <= 50 no fee empties the wallet"),
    "starting_balance": (0.0, False, 1e12, True, "in the unit of account"),
}


def _bounds_doc() -> str:
    lines = []
    for name, (lo, lo_in, hi, hi_in, why) in BOUNDS.items():
        left = "[" if lo_in else "("
        right = "]" if hi_in else ")"
        kind = " (integer)" if KINDS[name] == "int" else ""
        lines.append(f"    - ``{name}`` in ``{left}{lo:g}, {hi:g}{right}``{kind}: {why};")
    lines.append("    - ``markup*(1-maker_fee) > 2*maker_fee``: a whole cycle, entry fee included,")
    lines.append("      never loses at its take-profit;")
    lines.append("    - spot: one side (``long`` or ``short``), ``contract`` linear, WEL at most 1.")
    return "\n".join(lines) + "\n"


Params.__doc__ = (Params.__doc__ or "").rstrip() + "\n" + _bounds_doc()
DEFAULTS = Params()
FIELD_NAMES = tuple(f.name for f in dataclasses.fields(Params))
assert set(KINDS) == set(FIELD_NAMES), "KINDS must name every field"

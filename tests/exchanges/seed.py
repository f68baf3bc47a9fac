"""Seed an adapter with unified markets (no markets endpoint) for request-shape tests."""

from __future__ import annotations

from sequence.exchanges.adapters import parse


def seed(adapter, *specs):
    """specs: (symbol, venue id, contract size or None, extra info dict)."""
    raw = adapter._raw
    markets = []
    for symbol, mid, contract_size, info in specs:
        base, rest = symbol.split("/")
        quote, _, settle = rest.partition(":")
        spot = not settle
        markets.append(raw.safe_market_structure({
            "id": mid, "symbol": symbol, "base": base, "quote": quote,
            "settle": settle or None, "baseId": info.get("baseId", base),
            "quoteId": info.get("quoteId", quote), "settleId": settle or None,
            "type": "spot" if spot else "swap", "spot": spot, "margin": False,
            "swap": not spot, "future": False, "option": False, "contract": not spot,
            "linear": None if spot else settle == quote,
            "inverse": None if spot else settle != quote,
            "contractSize": contract_size, "active": True,
            "precision": {"amount": 0.001, "price": 0.1},
            "limits": {"amount": {"min": 0.001}, "cost": {"min": 5}, "price": {},
                       "leverage": {}},
            "info": info,
        }))
    raw.set_markets(markets)
    by_altname = {m["info"]["altname"]: raw.markets[m["symbol"]] for m in markets
                  if "altname" in m["info"]}
    if by_altname:  # Kraken resolves order/trade pairs by altname
        raw.options["marketsByAltname"] = by_altname
    parsed = [parse.parse_market(m, raw.precisionMode) for m in raw.markets.values()]
    adapter._markets = {m.symbol: m for m in parsed if m is not None}
    return adapter

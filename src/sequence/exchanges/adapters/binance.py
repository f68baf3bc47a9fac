from __future__ import annotations

from .base import CcxtAdapter


class BinanceAdapter(CcxtAdapter):
    exchange = "binance"


class BinanceUsAdapter(BinanceAdapter):
    exchange = "binanceus"

from __future__ import annotations

from .base import CcxtAdapter


class KrakenAdapter(CcxtAdapter):
    exchange = "kraken"

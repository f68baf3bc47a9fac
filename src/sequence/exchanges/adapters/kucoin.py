"""KuCoin adapter: spot through ``kucoin``, perpetuals through ``kucoinfutures``."""
from __future__ import annotations

from .base import CcxtAdapter


class KucoinAdapter(CcxtAdapter):
    exchange = "kucoin"

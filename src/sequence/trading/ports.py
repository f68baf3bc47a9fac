"""The exchange port of a bot, opened once per process and kept.

Opening a credential is recorded by the vault and building a ccxt client costs
milliseconds, so each worker keeps one adapter per (bot, credential): a refreshed key is a
new credential and gets a new adapter. Each adapter sends from the bot's egress IP, and
its requests draw on the one shared budget of that (exchange, egress IP).
"""

from __future__ import annotations

import threading
from decimal import Decimal

from django.conf import settings

from sequence.core.precision import Precision
from sequence.exchanges.config import API_URL_SETTINGS, configs_from_settings
from sequence.exchanges.domain import Market, MarketKind
from sequence.exchanges.factory import create_adapter
from sequence.exchanges.port import ExchangePort
from sequence.exchanges.secret import Credentials
from sequence.vault.services import credential_open

_PORTS: dict[tuple[str, str], ExchangePort] = {}
_LOCK = threading.Lock()


def egress_ip_for(number: int) -> str:
    """Bots spread over the platform's egress IPs by number: a fixed assignment per bot."""
    ips = settings.EGRESS_IPS or [""]
    return ips[number % len(ips)]


def rate_budget(exchange: str) -> float | None:
    """Requests per second this process may send per (exchange, egress IP).

    The exchange's per-IP limit (Bybit: 600 per 5 s) is shared by every process sending from
    that IP: ENGINE_PROCESSES_PER_IP of them divide it, with a 20% margin.
    """
    per_ip = settings.EXCHANGE_RATE_PER_IP.get(exchange)
    if per_ip is None:
        return None
    return 0.8 * per_ip / max(1, settings.ENGINE_PROCESSES_PER_IP)


def port_for(bot) -> ExchangePort:
    key = (str(bot.pk), str(bot.credential_id))
    with _LOCK:
        port = _PORTS.get(key)
    if port is not None:
        return port
    exchange = bot.offering.exchange_id
    urls = {name: getattr(settings, name, "") for name in API_URL_SETTINGS.values()}
    base = configs_from_settings(urls, egress_ip=bot.egress_ip)[exchange]
    from dataclasses import replace

    config = replace(base, rate_per_second=rate_budget(exchange),
                     account_rate_scale=settings.EXCHANGE_ACCOUNT_RATE_SCALE)
    if bot.kind == "paper":  # paper bots trade on the simulated exchange, whatever *_API_URL says;
        # it sets the exchange's own per-IP limits, on a budget of its own (another host)
        config = replace(config, api_url=(settings.PAPER_VENUE_URL or "").rstrip("/") or None)
    secrets = credential_open(credential=bot.credential, purpose="engine step", actor="engine worker")
    secret = secrets.get("api_secret") or secrets.get("private_key")
    passphrase = secrets.get("passphrase")
    creds = Credentials.of(secrets["api_key"].reveal(), secret.reveal(), passphrase.reveal() if passphrase else None)
    port = create_adapter(config, MarketKind(bot.offering.market_kind), creds)
    with _LOCK:
        _PORTS[key] = port
    return port


def forget_port(bot_id) -> None:
    with _LOCK:
        for key in [k for k in _PORTS if k[0] == str(bot_id)]:
            _PORTS.pop(key, None)


def precision_of(market: Market) -> Precision:
    size = market.contract_size or Decimal(1)
    lot = market.amount_step * size if market.amount_step else None
    min_qty = market.min_amount * size if market.min_amount else None
    return Precision(tick=market.price_tick, lot=lot, min_qty=min_qty, min_notional=market.min_cost,
                     qty_is_notional=market.kind is MarketKind.INVERSE)

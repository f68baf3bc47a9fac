"""Deterministic, decodable client order ids that fit every venue.

Kraken takes free text of at most 18 characters or a UUID (32 hex, or 36 with hyphens),
OKX 1-32 letters and digits, Bybit up to 36 characters (DESIGN.md section 4). A UUID in
its 32-hex form fits all three. Instead of hashing the fields into a name-based UUID
(which could not be read back), the fields are *laid out* in a UUIDv8 (RFC 9562, the
version for custom layouts), so an id alone says which bot, cycle, side, level and
revision it is — the engine can adopt an order it finds on the exchange after losing its
own record, and tell ours from a client's manual order:

    bits 127-112  prefix 0x5E90                     ("SEQ0")
    bits 111-80   bot number (32 bits)
    bits 79-76    UUID version 8
    bits 75-64    checksum of the fields (12 bits)
    bits 63-62    UUID variant 0b10
    bits 61-38    cycle (24 bits)
    bit  37       side (0 long, 1 short)
    bits 36-35    kind (0 entry, 1 DCA, 2 take-profit)
    bits 34-28    level (7 bits)
    bits 27-0     version: the revision of that order slot (28 bits)

>>> cid = encode(OrderId(bot=7, cycle=3, side="short", kind="dca", level=2, version=5))
>>> cid
'5e90000000078c09800000e820000005'
>>> decode(cid)
OrderId(bot=7, cycle=3, side='short', kind='dca', level=2, version=5)
>>> decode("somebody-elses-id") is None
True
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

__all__ = ["OrderId", "decode", "encode", "is_ours"]

PREFIX = 0x5E90
KINDS = ("entry", "dca", "take_profit")
SIDES = ("long", "short")
LIMITS = {"bot": 1 << 32, "cycle": 1 << 24, "level": 1 << 7, "version": 1 << 28}


@dataclass(frozen=True, slots=True)
class OrderId:
    bot: int
    cycle: int
    side: str
    kind: str
    level: int
    version: int

    def __post_init__(self) -> None:
        for name, limit in LIMITS.items():
            value = getattr(self, name)
            if not 0 <= value < limit:
                raise ValueError(f"client order id: {name} {value} out of range [0, {limit})")
        if self.side not in SIDES or self.kind not in KINDS:
            raise ValueError(f"client order id: bad side/kind {self.side!r}/{self.kind!r}")


def _payload(o: OrderId) -> int:
    return ((o.cycle << 38) | (SIDES.index(o.side) << 37) | (KINDS.index(o.kind) << 35)
            | (o.level << 28) | o.version)


def _checksum(bot: int, payload: int) -> int:
    return zlib.crc32(bot.to_bytes(4, "big") + payload.to_bytes(8, "big")) & 0xFFF


def encode(o: OrderId) -> str:
    payload = _payload(o)
    value = ((PREFIX << 112) | (o.bot << 80) | (0x8 << 76) | (_checksum(o.bot, payload) << 64)
             | (0b10 << 62) | payload)
    return f"{value:032x}"


def decode(cid: str | None) -> OrderId | None:
    """The fields of one of our ids, or None for anything else (a manual order, garbage)."""
    if not cid or len(cid) != 32:
        return None
    try:
        value = int(cid, 16)
    except ValueError:
        return None
    if value >> 112 != PREFIX or (value >> 76) & 0xF != 0x8 or (value >> 62) & 0b11 != 0b10:
        return None
    bot = (value >> 80) & 0xFFFFFFFF
    payload = value & ((1 << 62) - 1)
    if (value >> 64) & 0xFFF != _checksum(bot, payload):
        return None
    kind = (payload >> 35) & 0b11
    if kind >= len(KINDS):
        return None
    return OrderId(bot=bot, cycle=(payload >> 38) & 0xFFFFFF, side=SIDES[(payload >> 37) & 1],
                   kind=KINDS[kind], level=(payload >> 28) & 0x7F, version=payload & 0xFFFFFFF)


def is_ours(cid: str | None, bot: int) -> bool:
    d = decode(cid)
    return d is not None and d.bot == bot

"""Sealing small secrets to a public key (X25519 + HKDF-SHA256 + AES-256-GCM).

Whoever holds only the public key can seal but never open: the web process
seals a client's exchange credentials, only the workers that use them hold the
private key (DESIGN.md section 7).

A sealed value is ``kid || 0x00 || ephemeral_public(32) || nonce(12) || ct+tag``.
Each seal uses a fresh ephemeral X25519 key; the AES key is
HKDF-SHA256(shared secret, salt = ephemeral_public || recipient_public,
info = "sequence.sealing.v1"). The AES-GCM associated data is the header
(``kid || 0x00``) followed by the caller's context, e.g.
``seq:v1:{purpose}:{owner_id}:{credential_id}:{field}`` (`context_for`), so a
value copied into another row or field, or re-labelled with another kid, does
not open.

Key text is ``kid:base64(32 raw bytes)``; a keyring is a comma-separated list.
The public keyring's first entry is the one new values are sealed to; the
private keyring holds every kid that may still appear (rotation).
Error messages and reprs never contain key material or sealed bytes.
"""

from __future__ import annotations

import base64
import binascii
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

NONCE_BYTES = 12
POINT_BYTES = 32
TAG_BYTES = 16
KID_MAX = 16
HKDF_INFO = b"sequence.sealing.v1"
_RAW = serialization.Encoding.Raw


class SealingKeyError(ValueError):
    """A key or keyring text is malformed. The message names the entry, never its bytes."""


class UnsealError(ValueError):
    """A sealed value does not open: wrong private key, wrong context, or tampered."""


class UnknownKidError(UnsealError):
    """The sealed value names a key id this private keyring does not hold."""


class MalformedSealedValue(UnsealError):
    """The sealed value is truncated or has no key id header."""


def context_for(purpose: str, owner_id: object, credential_id: object, field: str) -> bytes:
    """The associated data that binds a sealed value to its purpose, owner, row and field."""
    parts = [purpose, str(owner_id), str(credential_id), field]
    for part in parts:
        if ":" in part:
            raise ValueError("context parts must not contain ':'")
    return ("seq:v1:" + ":".join(parts)).encode()


def _check_kid(kid: str, where: str) -> None:
    if not kid or not kid.isascii() or not kid.isalnum() or len(kid) > KID_MAX:
        raise SealingKeyError(f"{where}: the kid must be 1-{KID_MAX} ASCII letters or digits")


def _parse_entries(spec: str, what: str) -> list[tuple[str, bytes]]:
    entries: list[tuple[str, bytes]] = []
    seen: set[str] = set()
    for index, entry in enumerate(part.strip() for part in (spec or "").split(",") if part.strip()):
        where = f"{what} entry {index + 1}"
        kid, sep, encoded = entry.partition(":")
        if not sep:
            raise SealingKeyError(f"{where}: expected 'kid:base64key'")
        kid = kid.strip()
        _check_kid(kid, where)
        try:
            raw = base64.b64decode(encoded.strip(), validate=True)
        except (binascii.Error, ValueError):
            raise SealingKeyError(f"{where} ({kid}): the key is not valid base64") from None
        if len(raw) != POINT_BYTES:
            raise SealingKeyError(f"{where} ({kid}): the key must be {POINT_BYTES} bytes, got {len(raw)}")
        if kid in seen:
            raise SealingKeyError(f"{where}: duplicate kid {kid!r}")
        seen.add(kid)
        entries.append((kid, raw))
    if not entries:
        raise SealingKeyError(f"{what} is empty")
    return entries


def _derive(shared: bytes, ephemeral: bytes, recipient: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=ephemeral + recipient, info=HKDF_INFO).derive(shared)


def _header(kid: str) -> bytes:
    return kid.encode("ascii") + b"\x00"


def kid_of(sealed: bytes) -> str:
    """The key id a sealed value names ('' when it has none)."""
    kid, sep, _ = bytes(sealed).partition(b"\x00")
    if not sep or len(kid) > KID_MAX:
        return ""
    return kid.decode("ascii", errors="replace")


@dataclass(frozen=True, repr=False)
class PublicKeyring:
    """What the web process holds: it seals to `current`, opens nothing."""

    current: str
    keys: dict[str, X25519PublicKey]

    def __repr__(self) -> str:
        return f"PublicKeyring(current={self.current!r}, kids={list(self.keys)!r})"

    @classmethod
    def parse(cls, spec: str) -> PublicKeyring:
        """``kid:base64(public)[,...]``: the first entry is the one new values are sealed to."""
        entries = _parse_entries(spec, "public keyring")
        keys = {kid: X25519PublicKey.from_public_bytes(raw) for kid, raw in entries}
        return cls(current=entries[0][0], keys=keys)

    def seal(self, plaintext: bytes, context: bytes) -> bytes:
        recipient = self.keys[self.current]
        recipient_raw = recipient.public_bytes(_RAW, serialization.PublicFormat.Raw)
        ephemeral = X25519PrivateKey.generate()
        ephemeral_raw = ephemeral.public_key().public_bytes(_RAW, serialization.PublicFormat.Raw)
        key = _derive(ephemeral.exchange(recipient), ephemeral_raw, recipient_raw)
        nonce = os.urandom(NONCE_BYTES)
        header = _header(self.current)
        return header + ephemeral_raw + nonce + AESGCM(key).encrypt(nonce, plaintext, header + context)

    def to_text(self) -> str:
        return ",".join(
            f"{kid}:{base64.b64encode(key.public_bytes(_RAW, serialization.PublicFormat.Raw)).decode()}"
            for kid, key in self.keys.items()
        )


@dataclass(frozen=True, repr=False)
class PrivateKeyring:
    """What a worker holds: every kid that may still appear in a sealed value."""

    keys: dict[str, X25519PrivateKey]

    def __repr__(self) -> str:
        return f"PrivateKeyring(kids={list(self.keys)!r})"

    @classmethod
    def parse(cls, spec: str) -> PrivateKeyring:
        """``kid:base64(private)[,...]``; the first entry is the newest (see `public_keyring`)."""
        entries = _parse_entries(spec, "private keyring")
        return cls(keys={kid: X25519PrivateKey.from_private_bytes(raw) for kid, raw in entries})

    @property
    def kids(self) -> list[str]:
        return list(self.keys)

    def public_keyring(self, kid: str | None = None) -> PublicKeyring:
        """The public half of `kid` (default: the first entry), as a keyring to seal to."""
        kid = kid or next(iter(self.keys))
        if kid not in self.keys:
            raise SealingKeyError(f"the private keyring holds no kid {kid!r}")
        return PublicKeyring(current=kid, keys={kid: self.keys[kid].public_key()})

    def matches(self, public: PublicKeyring) -> bool:
        """Whether the public keyring's current key is the public half of ours with that kid."""
        mine = self.keys.get(public.current)
        if mine is None:
            return False
        raw = serialization.PublicFormat.Raw
        return mine.public_key().public_bytes(_RAW, raw) == public.keys[public.current].public_bytes(_RAW, raw)

    def open(self, sealed: bytes, context: bytes) -> bytes:
        sealed = bytes(sealed)
        kid_raw, sep, rest = sealed.partition(b"\x00")
        if not sep or not kid_raw or len(kid_raw) > KID_MAX:
            raise MalformedSealedValue("sealed value has no key id header")
        kid = kid_raw.decode("ascii", errors="replace")
        if len(rest) < POINT_BYTES + NONCE_BYTES + TAG_BYTES:
            raise MalformedSealedValue(f"sealed value (kid {kid!r}) is truncated")
        private = self.keys.get(kid)
        if private is None:
            raise UnknownKidError(f"sealed value names kid {kid!r}, which this private keyring does not hold "
                                  f"(it holds {self.kids!r})")
        ephemeral_raw, nonce, ct = rest[:POINT_BYTES], rest[POINT_BYTES:POINT_BYTES + NONCE_BYTES], \
            rest[POINT_BYTES + NONCE_BYTES:]
        recipient_raw = private.public_key().public_bytes(_RAW, serialization.PublicFormat.Raw)
        try:
            shared = private.exchange(X25519PublicKey.from_public_bytes(ephemeral_raw))
        except ValueError:  # an all-zero shared secret (low-order point): tampered
            raise UnsealError(f"sealed value (kid {kid!r}) does not open: tampered") from None
        key = _derive(shared, ephemeral_raw, recipient_raw)
        try:
            return AESGCM(key).decrypt(nonce, ct, _header(kid) + context)
        except InvalidTag:
            raise UnsealError(f"sealed value (kid {kid!r}) does not open with this key and context: "
                              "wrong row or field, or tampered") from None

    def to_text(self) -> str:
        raw = serialization.PrivateFormat.Raw
        none = serialization.NoEncryption()
        return ",".join(f"{kid}:{base64.b64encode(key.private_bytes(_RAW, raw, none)).decode()}"
                        for kid, key in self.keys.items())


def generate_keypair(kid: str) -> tuple[str, str]:
    """A new pair as text: (``kid:base64(public)``, ``kid:base64(private)``)."""
    _check_kid(kid, "new key")
    private = PrivateKeyring(keys={kid: X25519PrivateKey.generate()})
    return private.public_keyring().to_text(), private.to_text()

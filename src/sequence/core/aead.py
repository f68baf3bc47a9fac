"""Authenticated encryption of small secrets at rest (AES-256-GCM).

A sealed value is ``kid || 0x00 || nonce(12) || ciphertext+tag``: the key id in
front lets keys rotate (the first key of a keyring encrypts, every key
decrypts); the associated data binds a ciphertext to the row and field it was
written for, so a value copied into another row fails to open. Used for TOTP
seeds; exchange credentials are sealed to a public key instead (the vault).
"""

from __future__ import annotations

import base64
import binascii
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_BYTES = 12


class KeyringError(ValueError):
    """The configured keyring is malformed (never contains key material in its message)."""


class DecryptionError(ValueError):
    """A sealed value does not open: wrong key, wrong associated data, or tampered."""


@dataclass(frozen=True)
class Keyring:
    primary: str
    keys: dict[str, bytes]

    def __repr__(self) -> str:  # never show key material
        return f"Keyring(primary={self.primary!r}, kids={sorted(self.keys)!r})"

    @classmethod
    def parse(cls, spec: str) -> Keyring:
        """Parse ``kid:base64key[,kid:base64key...]``; the first entry is primary."""
        keys: dict[str, bytes] = {}
        primary = ""
        for index, entry in enumerate(part.strip() for part in spec.split(",") if part.strip()):
            kid, sep, encoded = entry.partition(":")
            if not sep or not kid.isalnum() or len(kid) > 16:
                raise KeyringError(f"keyring entry {index + 1}: expected 'kid:base64key' with an alphanumeric kid")
            try:
                key = base64.b64decode(encoded, validate=True)
            except (binascii.Error, ValueError):
                raise KeyringError(f"keyring entry {index + 1} ({kid}): key is not valid base64") from None
            if len(key) != 32:
                raise KeyringError(f"keyring entry {index + 1} ({kid}): key must be 32 bytes, got {len(key)}")
            if kid in keys:
                raise KeyringError(f"keyring entry {index + 1}: duplicate kid {kid!r}")
            keys[kid] = key
            primary = primary or kid
        if not keys:
            raise KeyringError("keyring is empty")
        return cls(primary=primary, keys=keys)

    def seal(self, plaintext: bytes, aad: bytes) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        ct = AESGCM(self.keys[self.primary]).encrypt(nonce, plaintext, aad)
        return self.primary.encode() + b"\x00" + nonce + ct

    def open(self, sealed: bytes, aad: bytes) -> bytes:
        kid_raw, sep, rest = bytes(sealed).partition(b"\x00")
        kid = kid_raw.decode("ascii", errors="replace")
        if not sep or kid not in self.keys or len(rest) <= NONCE_BYTES:
            raise DecryptionError(f"sealed value has an unknown key id {kid!r} or is truncated")
        try:
            return AESGCM(self.keys[kid]).decrypt(rest[:NONCE_BYTES], rest[NONCE_BYTES:], aad)
        except InvalidTag:
            raise DecryptionError("sealed value does not open with this key and associated data") from None

    def kid_of(self, sealed: bytes) -> str:
        return bytes(sealed).partition(b"\x00")[0].decode("ascii", errors="replace")

"""Credentials for an exchange account, as redacting `Secret`s (defined in `sequence.core`)."""

from __future__ import annotations

from dataclasses import dataclass

from sequence.core.redaction import Secret

__all__ = ["Credentials", "Secret"]


@dataclass(frozen=True, slots=True)
class Credentials:
    """API credentials for one exchange account.

    ``passphrase`` is OKX's / KuCoin's passphrase (ccxt ``password``). Every field is a
    :class:`Secret`; the dataclass repr shows only masks.
    """

    api_key: Secret
    secret: Secret
    passphrase: Secret | None = None

    @classmethod
    def of(cls, api_key: str, secret: str, passphrase: str | None = None) -> Credentials:
        return cls(Secret(api_key), Secret(secret), Secret(passphrase) if passphrase else None)

    def values(self) -> tuple[str, ...]:
        """The plaintext values (for redaction of third-party messages only)."""
        out = [self.api_key.reveal(), self.secret.reveal()]
        if self.passphrase is not None:
            out.append(self.passphrase.reveal())
        return tuple(v for v in out if v)

"""Redacting secret types: the value never appears in repr, str, format or pickles of errors."""

from __future__ import annotations

import hmac
from dataclasses import dataclass

__all__ = ["Credentials", "Secret"]

_MASK = "Secret('**********')"


class Secret:
    """Wraps a credential string; only :meth:`reveal` returns it.

    ``repr``/``str``/``format`` print a fixed mask, so an accidental log line, f-string or
    exception message never carries the value (nautilus ``SecureString``).
    """

    __slots__ = ("__value",)

    def __init__(self, value: str) -> None:
        if isinstance(value, Secret):
            value = value.reveal()
        if not isinstance(value, str):
            raise TypeError("Secret expects a str")
        self.__value = value

    def reveal(self) -> str:
        return self.__value

    def last4(self) -> str:
        """The last four characters, the only part a page may show."""
        return self.__value[-4:] if len(self.__value) >= 8 else ""

    def __bool__(self) -> bool:
        return bool(self.__value)

    def __len__(self) -> int:
        return len(self.__value)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        return hmac.compare_digest(self.__value.encode(), other.__value.encode())

    def __hash__(self) -> int:
        return hash(("Secret", self.__value))

    def __repr__(self) -> str:
        return _MASK

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return _MASK

    def __reduce__(self):  # never pickle the value (job arguments, caches)
        raise TypeError("Secret cannot be pickled")


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

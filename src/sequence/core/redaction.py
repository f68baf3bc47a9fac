"""Keep secrets out of logs.

Two layers: a `Secret` wrapper whose str/repr never shows the value, and a
logging filter that masks anything shaped like a known secret field
(``password=...``, ``"secret": "..."``) and six-digit codes after the word
"code", in case a library logs a request body.
"""

from __future__ import annotations

import hmac
import logging
import re
from typing import NoReturn

SECRET_WORDS = r"(?:password|passwd|passphrase|secret|api_?secret|private_?key|otp|totp|token|code|seed)"  # noqa: S105 - names, not a value
_PAIR = re.compile(
    rf"(?i)([\"']?\b\w*{SECRET_WORDS}\w*[\"']?\s*[:=]\s*)([\"']?)([^\s\"',&}}]+)"
)


def redact(text: str) -> str:
    return _PAIR.sub(lambda m: f"{m.group(1)}{m.group(2)}***", text)


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

    def masked(self, visible: int = 4) -> str:
        return mask_tail(self.__value, visible)

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

    def __reduce__(self) -> NoReturn:  # never pickle the value (job arguments, caches)
        raise TypeError("Secret cannot be pickled")


def mask_tail(value: str, visible: int = 4) -> str:
    """'abcdef1234' -> '••••1234'; short values show nothing."""
    if len(value) <= visible * 2:
        return "••••"
    return "••••" + value[-visible:]


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not hide the record
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True

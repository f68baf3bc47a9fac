"""Keep secrets out of logs.

Two layers: a `Secret` wrapper whose str/repr never shows the value, and a
logging filter that masks anything shaped like a known secret field
(``password=...``, ``"secret": "..."``) and six-digit codes after the word
"code", in case a library logs a request body.
"""

from __future__ import annotations

import logging
import re

SECRET_WORDS = r"(?:password|passwd|passphrase|secret|api_?secret|private_?key|otp|totp|token|code|seed)"  # noqa: S105 - names, not a value
_PAIR = re.compile(
    rf"(?i)([\"']?\b\w*{SECRET_WORDS}\w*[\"']?\s*[:=]\s*)([\"']?)([^\s\"',&}}]+)"
)


def redact(text: str) -> str:
    return _PAIR.sub(lambda m: f"{m.group(1)}{m.group(2)}***", text)


class Secret:
    """A string that does not leak through str(), repr(), f-strings or logging."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def masked(self, visible: int = 4) -> str:
        return mask_tail(self._value, visible)

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __bool__(self) -> bool:
        return bool(self._value)


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

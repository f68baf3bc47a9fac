"""Form-level credential checks: pure functions, no I/O. The live check is :mod:`.verify`.

Loose on purpose (trim, charset, plausible length): the exchange decides in the end.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from sequence.exchanges.config import EXCHANGES

__all__ = ["CREDENTIAL_FIELDS", "FIELD_LABELS", "SECRET_FIELDS", "CredentialCheck", "FieldProblem",
           "check_credentials", "normalise_credentials"]

# Fields the form shows per exchange (Binance: none, connected by another method).
CREDENTIAL_FIELDS: dict[str, tuple[str, ...]] = {
    e.id: e.credential_fields for e in EXCHANGES.values()}
_Bad = Callable[[str, str, str], None]  # records one field error: (field, code, message)
_ALNUM = re.compile(r"[A-Za-z0-9]+")
_HEX = re.compile(r"[0-9A-Fa-f]+")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_B64 = re.compile(r"[A-Za-z0-9+/]+={0,2}")
_PEM = re.compile(r"-----BEGIN (RSA |)PRIVATE KEY-----.+-----END (RSA |)PRIVATE KEY-----", re.S)
_PRINTABLE = re.compile(r"[\x21-\x7e]+")


@dataclass(frozen=True, slots=True)
class FieldProblem:
    field: str
    code: str
    message: str


@dataclass(frozen=True, slots=True)
class CredentialCheck:
    ok: bool
    cleaned: dict[str, str] = field(repr=False)  # trimmed values: never print
    problems: tuple[FieldProblem, ...]


def _normalise(exchange: str, name: str, value: object) -> str:
    text = "" if value is None else str(value)
    if name in ("api_name", "passphrase"):
        # chosen by the client: only the ends are trimmed; an inner space is the charset
        # check's business (refused with a message), never silently dropped
        return text.strip()
    if name == "api_secret" and exchange == "bybit" and "PRIVATE KEY" in text:
        return "\n".join(line.strip() for line in text.strip().splitlines())  # PEM lines
    return "".join(text.split())  # pasted keys often carry spaces or line breaks


def normalise_credentials(exchange: str, fields: dict[str, object]) -> dict[str, str]:
    """The exact values to check *and* to store: one normalisation, so a key that passes
    the form check is the key that is sealed (a pasted key broken over two lines)."""
    if exchange not in CREDENTIAL_FIELDS:
        raise ValueError(f"unknown exchange {exchange!r}")
    return {name: _normalise(exchange, name, fields.get(name))
            for name in CREDENTIAL_FIELDS[exchange]}


def check_credentials(exchange: str, fields: dict[str, object]) -> CredentialCheck:
    """Check the form fields for ``exchange``; messages name the field, never the value.

    ``cleaned`` is :func:`normalise_credentials` of the fields: store that, not the input.
    """
    cleaned = normalise_credentials(exchange, fields)
    problems: list[FieldProblem] = []

    def bad(name: str, code: str, message: str) -> None:
        problems.append(FieldProblem(name, code, message))

    for name, value in cleaned.items():
        if not value:
            bad(name, "required", f"{FIELD_LABELS[name]} is required.")

    if not problems:
        _check(exchange, cleaned, bad)
    return CredentialCheck(not problems, cleaned, tuple(problems))


FIELD_LABELS = {"api_key": "API Key", "api_secret": "API Secret", "passphrase": "Passphrase",
                "api_name": "API Name", "private_key": "Private Key"}
# api_name is the key's label on the exchange: not a secret. Every other field is: sealed in
# the vault, never rendered back, hidden from error reports.
SECRET_FIELDS: tuple[str, ...] = tuple(name for name in FIELD_LABELS if name != "api_name")


def _length(bad: _Bad, name: str, value: str, lo: int, hi: int) -> bool:
    if not lo <= len(value) <= hi:
        bad(name, "length", f"{FIELD_LABELS[name]} should be {lo} to {hi} characters long; "
                            f"check that you copied all of it.")
        return False
    return True


def _check(exchange: str, v: dict[str, str], bad: _Bad) -> None:
    if exchange == "bybit":
        if not _ALNUM.fullmatch(v["api_key"]):
            bad("api_key", "charset", "API Key may contain only letters and digits.")
        else:
            _length(bad, "api_key", v["api_key"], 10, 64)
        secret = v["api_secret"]
        if "PRIVATE KEY" in secret:
            if not _PEM.search(secret):
                bad("api_secret", "pem", "The RSA private key must be a complete PEM block "
                                         "(BEGIN PRIVATE KEY … END PRIVATE KEY).")
        elif not _ALNUM.fullmatch(secret):
            bad("api_secret", "charset", "API Secret may contain only letters and digits "
                                         "(or paste an RSA private key in PEM form).")
        else:
            _length(bad, "api_secret", secret, 16, 128)
    elif exchange in ("okx", "kucoin"):
        key = v["api_key"]
        if exchange == "okx" and not _UUID.fullmatch(key):
            bad("api_key", "format", "OKX API Key looks like 8-4-4-4-12 hexadecimal groups "
                                     "separated by dashes.")
        if exchange == "kucoin":
            if not _HEX.fullmatch(key):
                bad("api_key", "charset", "KuCoin API Key is hexadecimal (0-9, a-f).")
            else:
                _length(bad, "api_key", key, 20, 40)
        secret = v["api_secret"]
        if exchange == "okx" and not _HEX.fullmatch(secret):
            bad("api_secret", "charset", "OKX API Secret is hexadecimal (0-9, A-F).")
        elif exchange == "kucoin" and not _PRINTABLE.fullmatch(secret):
            bad("api_secret", "charset", "API Secret contains characters that cannot be part "
                                         "of it.")
        else:
            _length(bad, "api_secret", secret, 16, 128)
        if not _PRINTABLE.fullmatch(v["passphrase"]):
            bad("passphrase", "charset", "Passphrase contains spaces or unusual characters; "
                                         "enter it exactly as set when creating the key.")
        else:
            _length(bad, "passphrase", v["passphrase"], 1, 64)
        _length(bad, "api_name", v["api_name"], 1, 64)
    elif exchange == "kraken":
        key = v["api_key"]
        if not _B64.fullmatch(key):
            bad("api_key", "charset", "Kraken API Key contains letters, digits, +, / and =.")
        else:
            _length(bad, "api_key", key, 40, 72)
        secret = v["private_key"]
        try:
            if not _B64.fullmatch(secret):
                raise binascii.Error
            raw = base64.b64decode(secret, validate=True)
        except (binascii.Error, ValueError):
            bad("private_key", "base64", "Kraken Private Key is base64 text (letters, digits, "
                                         "+, / and = at the end).")
        else:
            if len(raw) != 64:
                bad("private_key", "length", "Kraken Private Key should decode to 64 bytes "
                                             "(88 characters); check that you copied all of "
                                             "it.")

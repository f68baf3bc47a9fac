"""A pasted key is checked and stored as one normalised value (issue 14 item 12).

The bug: the check stripped all whitespace, the store only the ends, so a key pasted with a
line break in the middle passed the check and was sealed broken.
"""

from __future__ import annotations

import pytest

from sequence.exchanges.credentials import (
    CREDENTIAL_FIELDS,
    check_credentials,
    normalise_credentials,
)

PEM = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nBKcwggSjAgEAAoIBAQC7\n" \
      "-----END PRIVATE KEY-----"
PASTED = {
    "bybit": ({"api_key": "AbCdEf12\r\n34567890Zz ", "api_secret": " a1b2c3d4e5f6\ng7h8i9j0k1l2m3n4 "},
              {"api_key": "AbCdEf1234567890Zz", "api_secret": "a1b2c3d4e5f6g7h8i9j0k1l2m3n4"}),
    "okx": ({"api_name": "  my bot ", "passphrase": " Pa$$w0rd\n", "api_secret": "ABCDEF01 23456789\n"
             "ABCDEF0123456789", "api_key": "5c1c9e2a-1b2c-4d5e-\n8f90-0123456789ab"},
            {"api_name": "my bot", "passphrase": "Pa$$w0rd", "api_secret": "ABCDEF0123456789"
             "ABCDEF0123456789", "api_key": "5c1c9e2a-1b2c-4d5e-8f90-0123456789ab"}),
    "kraken": ({"api_key": "K" * 28 + "\n" + "K" * 28, "private_key": "AAAA\tBBBB"},
               {"api_key": "K" * 56, "private_key": "AAAABBBB"}),
}


@pytest.mark.parametrize("exchange", list(PASTED))
def test_the_checked_value_is_the_normalised_value(exchange):
    pasted, expected = PASTED[exchange]
    normalised = normalise_credentials(exchange, pasted)
    assert {k: normalised[k] for k in expected} == expected
    check = check_credentials(exchange, pasted)
    assert check.cleaned == normalised  # what passes the check is exactly what is stored
    assert normalise_credentials(exchange, normalised) == normalised  # idempotent


def test_a_bybit_rsa_key_keeps_its_lines():
    value = normalise_credentials("bybit", {"api_key": "k", "api_secret": "  " + PEM.replace(
        "\n", "  \r\n  ") + "\n"})["api_secret"]
    assert value == PEM


def test_every_exchange_field_is_normalised():
    for exchange, names in CREDENTIAL_FIELDS.items():
        assert set(normalise_credentials(exchange, {})) == set(names)
        assert all(v == "" for v in normalise_credentials(exchange, {}).values())


def test_unknown_exchange():
    with pytest.raises(ValueError, match="unknown exchange"):
        normalise_credentials("mtgox", {})

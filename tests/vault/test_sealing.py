"""The pure sealing helper (no Django): hand-checkable properties (SECURITY.md T12)."""

from __future__ import annotations

import base64

import pytest

from sequence.core.sealing import (
    MalformedSealedValue,
    PrivateKeyring,
    PublicKeyring,
    SealingKeyError,
    UnknownKidError,
    UnsealError,
    context_for,
    generate_keypair,
    kid_of,
)

PUB1, PRIV1 = generate_keypair("k1")
PUB2, PRIV2 = generate_keypair("k2")
CTX = context_for("exchange-credential", 7, "c0ffee", "api_secret")


def test_round_trip_and_layout():
    sealed = PublicKeyring.parse(PUB1).seal(b"s3cret", CTX)
    assert sealed.startswith(b"k1\x00") and kid_of(sealed) == "k1"
    assert len(sealed) == 3 + 32 + 12 + len(b"s3cret") + 16
    assert b"s3cret" not in sealed
    assert PrivateKeyring.parse(PRIV1).open(sealed, CTX) == b"s3cret"


def test_each_seal_is_fresh():
    public = PublicKeyring.parse(PUB1)
    assert public.seal(b"same", CTX) != public.seal(b"same", CTX)


def test_context_is_bound_to_purpose_owner_row_and_field():
    assert CTX == b"seq:v1:exchange-credential:7:c0ffee:api_secret"
    sealed = PublicKeyring.parse(PUB1).seal(b"s3cret", CTX)
    private = PrivateKeyring.parse(PRIV1)
    for other in (context_for("exchange-credential", 7, "c0ffee", "api_key"),   # another field
                  context_for("exchange-credential", 7, "deadbeef", "api_secret"),  # another row
                  context_for("exchange-credential", 8, "c0ffee", "api_secret"),  # another owner
                  context_for("totp", 7, "c0ffee", "api_secret")):  # another purpose
        with pytest.raises(UnsealError, match="wrong row or field"):
            private.open(sealed, other)
    with pytest.raises(ValueError, match="must not contain"):
        context_for("a:b", 1, 2, "f")


def test_the_wrong_private_key_or_a_relabelled_kid_fails():
    sealed = PublicKeyring.parse(PUB1).seal(b"s3cret", CTX)
    with pytest.raises(UnsealError):  # the kid says k1 but the key under that name is k2's
        PrivateKeyring.parse(PRIV2.replace("k2:", "k1:")).open(sealed, CTX)
    relabelled = b"k2" + sealed[2:]
    with pytest.raises(UnsealError):
        PrivateKeyring.parse(f"{PRIV1},{PRIV2}").open(relabelled, CTX)


def test_unknown_kid_and_truncation_have_clear_errors():
    sealed = PublicKeyring.parse(PUB2).seal(b"s3cret", CTX)
    with pytest.raises(UnknownKidError, match=r"kid 'k2'.*does not hold.*\['k1'\]"):
        PrivateKeyring.parse(PRIV1).open(sealed, CTX)
    private = PrivateKeyring.parse(PRIV2)
    with pytest.raises(MalformedSealedValue, match="truncated"):
        private.open(sealed[:40], CTX)
    with pytest.raises(MalformedSealedValue, match="no key id"):
        private.open(b"no header at all", CTX)
    with pytest.raises(UnsealError):  # one byte of tag missing
        private.open(sealed[:-1], CTX)
    flipped = bytearray(sealed)
    flipped[-20] ^= 1
    with pytest.raises(UnsealError, match="tampered"):
        private.open(bytes(flipped), CTX)


def test_several_kids_open_and_the_first_is_current():
    both = PrivateKeyring.parse(f"{PRIV2},{PRIV1}")
    assert both.kids == ["k2", "k1"]
    assert both.public_keyring().current == "k2"
    assert both.public_keyring().to_text() == PUB2
    assert both.matches(PublicKeyring.parse(PUB2)) and not both.matches(PublicKeyring.parse(PUB2.replace("k2:", "k1:")))
    for pub in (PUB1, PUB2):
        assert both.open(PublicKeyring.parse(pub).seal(b"x", CTX), CTX) == b"x"
    assert PublicKeyring.parse(f"{PUB2},{PUB1}").current == "k2"


@pytest.mark.parametrize(("spec", "message"), [
    ("", "empty"),
    ("k1", "expected 'kid:base64key'"),
    ("k-1:AAAA", "kid must be"),
    ("k1:not base64!!", "not valid base64"),
    ("k1:" + base64.b64encode(b"short").decode(), "must be 32 bytes, got 5"),
    (f"{PRIV1},{PRIV1}", "duplicate kid 'k1'"),
])
def test_bad_key_text_is_a_clear_error_without_key_material(spec, message):
    with pytest.raises(SealingKeyError, match=message) as info:
        PrivateKeyring.parse(spec)
    encoded = spec.partition(":")[2]
    assert not encoded or encoded[:12] not in str(info.value)


def test_reprs_never_show_keys():
    private, public = PrivateKeyring.parse(PRIV1), PublicKeyring.parse(PUB1)
    for text in (repr(private), str(private), repr(public), str(public)):
        assert PRIV1.split(":")[1][:10] not in text and PUB1.split(":")[1][:10] not in text
    assert repr(private) == "PrivateKeyring(kids=['k1'])"
    assert repr(public) == "PublicKeyring(current='k1', kids=['k1'])"
    assert PrivateKeyring.parse(PRIV1).to_text() == PRIV1


def test_public_key_cannot_open():
    assert not hasattr(PublicKeyring.parse(PUB1), "open")

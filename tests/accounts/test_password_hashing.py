"""The platform hashes passwords with Argon2 at its own cost; the tests' cheap Argon2
(tests/support/hashers.py) stays readable by every process and is upgraded by the platform's."""

from __future__ import annotations

import importlib

from django.contrib.auth.hashers import Argon2PasswordHasher

from tests.support.hashers import CheapArgon2PasswordHasher


def test_the_platform_hashes_with_argon2_first():
    platform = importlib.import_module("sequence.config.settings")
    assert platform.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_a_cheap_hash_verifies_with_the_platforms_hasher_which_upgrades_it():
    cheap = CheapArgon2PasswordHasher()
    encoded = cheap.encode("correct horse battery staple 42", cheap.salt())
    platform = Argon2PasswordHasher()
    assert platform.verify("correct horse battery staple 42", encoded)
    assert not platform.verify("wrong password entirely", encoded)
    assert platform.must_update(encoded)  # a process with the platform's settings rehashes it at sign-in
    assert not platform.must_update(platform.encode("correct horse battery staple 42", platform.salt()))

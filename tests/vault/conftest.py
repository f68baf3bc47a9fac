from __future__ import annotations

import pytest

from sequence.core.sealing import generate_keypair

PAIR1 = generate_keypair("k1")
PAIR2 = generate_keypair("k2")


@pytest.fixture
def worker_keys(settings):
    """This process plays a worker: public key k1, private key k1."""
    settings.VAULT_PUBLIC_KEY, settings.VAULT_PRIVATE_KEYS = PAIR1
    return settings


@pytest.fixture
def web_keys(settings):
    """This process plays the web: public key only."""
    settings.VAULT_PUBLIC_KEY, settings.VAULT_PRIVATE_KEYS = PAIR1[0], ""
    return settings

"""Where this process's vault keys come from: the environment (or *_FILE), never the database.

- ``VAULT_PUBLIC_KEY`` (web and workers): ``kid:base64``, the key new values are sealed to.
- ``VAULT_PRIVATE_KEYS`` (workers only): ``kid:base64[,...]``, every kid that may still
  appear. With no public key set, the first private entry's public half is used.
- Neither set (a laptop, the demo): a pair is generated once under ``var/vault-keys.json``
  (mode 0600) and reused; a system check says so.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from django.conf import settings

from sequence.config.env import env_secret
from sequence.core.sealing import PrivateKeyring, PublicKeyring, generate_keypair

LOCAL_FILE = "vault-keys.json"


@dataclass(frozen=True)
class VaultKeys:
    public: PublicKeyring
    private: PrivateKeyring | None  # None: this process can seal but not open (the web role)
    generated_locally: bool = False


def new_kid() -> str:
    return "v" + datetime.now(UTC).strftime("%Y%m%d%H%M")


def _setting(name: str) -> str:
    value = getattr(settings, name, None)
    return env_secret(name) if value is None else (value or "")


def local_path() -> Path:
    from sequence.runtime.paths import var_dir

    return var_dir() / LOCAL_FILE


def local_pair() -> tuple[str, str]:
    """The locally generated (public, private) pair, created once with mode 0600."""
    path = local_path()
    if not path.exists():
        public, private = generate_keypair(new_kid())
        tmp = path.with_name(f".{LOCAL_FILE}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump({"VAULT_PUBLIC_KEY": public, "VAULT_PRIVATE_KEYS": private}, handle)
        try:
            os.link(tmp, path)  # fails if another process won the race: use theirs
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    data = json.loads(path.read_text())
    return data["VAULT_PUBLIC_KEY"], data["VAULT_PRIVATE_KEYS"]


@cache
def _resolve(public_spec: str, private_spec: str) -> VaultKeys:
    if not public_spec and not private_spec:
        public_spec, private_spec = local_pair()
        return VaultKeys(PublicKeyring.parse(public_spec), PrivateKeyring.parse(private_spec), True)
    private = PrivateKeyring.parse(private_spec) if private_spec else None
    public = PublicKeyring.parse(public_spec) if public_spec else private.public_keyring()
    return VaultKeys(public, private)


def vault_keys() -> VaultKeys:
    """This process's keys. Raises `SealingKeyError` (no key material in it) when malformed."""
    return _resolve(_setting("VAULT_PUBLIC_KEY").strip(), _setting("VAULT_PRIVATE_KEYS").strip())


def keys_configured() -> bool:
    return bool(_setting("VAULT_PUBLIC_KEY").strip() or _setting("VAULT_PRIVATE_KEYS").strip())

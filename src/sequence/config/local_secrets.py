"""Secrets a local install generates once and keeps under `var/`.

Production passes every secret through the environment (or `X_FILE`); a
laptop or the demo should not need to. Each value is generated on first use,
written with mode 0600 and reused on the next start.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from pathlib import Path

from sequence.runtime.paths import var_dir

GENERATORS = {
    "SECRET_KEY": lambda: secrets.token_urlsafe(50),
    "FIELD_ENCRYPTION_KEY": lambda: "k1:" + base64.b64encode(secrets.token_bytes(32)).decode(),
}


def _path() -> Path:
    return var_dir() / "local-secrets.json"


def get(name: str) -> str:
    path = _path()
    data = json.loads(path.read_text()) if path.exists() else {}
    if name not in data:
        data[name] = GENERATORS[name]()
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=1))
        os.chmod(tmp, 0o600)
        tmp.replace(path)
    return data[name]

"""Where the platform keeps its local state: `var/` (override with SEQUENCE_VAR)."""

from __future__ import annotations

import os
from pathlib import Path


def var_dir() -> Path:
    path = Path(os.environ.get("SEQUENCE_VAR", "var")).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path

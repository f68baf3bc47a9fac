"""A logger wrapper for ccxt that scrubs credentials from every line."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from sequence.exchanges.errors import redact

__all__ = ["RedactingLogger"]


class RedactingLogger:
    """ccxt logs request headers (API key, OKX passphrase) at DEBUG: scrub them first."""

    def __init__(self, logger: logging.Logger, secrets: Sequence[str]) -> None:
        self._logger = logger
        self._secrets = tuple(secrets)

    def _log(self, level: int, msg: Any, *args: Any, **kwargs: Any) -> None:
        if not self._logger.isEnabledFor(level):
            return
        text = str(msg) % args if args else str(msg)
        kwargs.pop("exc_info", None)
        self._logger.log(level, "%s", redact(text, self._secrets), **kwargs)

    def debug(self, msg: Any, *args: Any, **kwargs: Any) -> None:
        self._log(logging.DEBUG, msg, *args, **kwargs)

    def info(self, msg: Any, *args: Any, **kwargs: Any) -> None:
        self._log(logging.INFO, msg, *args, **kwargs)

    def warning(self, msg: Any, *args: Any, **kwargs: Any) -> None:
        self._log(logging.WARNING, msg, *args, **kwargs)

    def error(self, msg: Any, *args: Any, **kwargs: Any) -> None:
        self._log(logging.ERROR, msg, *args, **kwargs)

    exception = error

    def isEnabledFor(self, level: int) -> bool:
        return self._logger.isEnabledFor(level)

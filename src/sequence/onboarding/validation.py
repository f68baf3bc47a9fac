"""Format checks of the key form: the exchange layer's rules, as form errors."""

from __future__ import annotations

from sequence.exchanges.credentials import check_credentials


def credential_format_errors(exchange: str, values: dict[str, str]) -> dict[str, str]:
    """field -> message for every field whose format is wrong (messages never quote the value)."""
    errors: dict[str, str] = {}
    for problem in check_credentials(exchange, values).problems:
        errors.setdefault(problem.field, problem.message)
    return errors

"""Which credential fields each exchange's key form asks for, with the guide's labels (step 8).

The per-exchange field lists belong to the exchange layer (`CREDENTIAL_FIELDS`);
this module adds only what the web form needs on top.
"""

from __future__ import annotations

from sequence.exchanges.credentials import CREDENTIAL_FIELDS, FIELD_LABELS, SECRET_FIELDS

__all__ = ["FIELDS_BY_EXCHANGE", "LABELS", "SECRET_FIELDS"]

LABELS = FIELD_LABELS  # the guide's words, step 8
FIELDS_BY_EXCHANGE = CREDENTIAL_FIELDS

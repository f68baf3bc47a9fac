"""The exchange list and the secret field names are each defined once (issue 14 item 19).

Everything that lists exchanges derives from ``sequence.exchanges.config.EXCHANGES``; a
scan of the source fails on any second literal list of exchanges or of secret fields.
"""

from __future__ import annotations

import ast
from pathlib import Path

from sequence.exchanges.config import API_URL_SETTINGS, EXCHANGE_IDS, EXCHANGES
from sequence.exchanges.credentials import CREDENTIAL_FIELDS, SECRET_FIELDS

SRC = Path(__file__).resolve().parents[2] / "src" / "sequence"
REGISTRY = SRC / "exchanges" / "config.py"
CREDENTIALS = SRC / "exchanges" / "credentials.py"
# Per-venue tables of error codes: partial by nature (only venues that have such a code),
# not a list of the exchanges the platform knows.
CODE_TABLES = {("exchanges/errors.py", "DUPLICATE_CLIENT_ID_CODES"),
               ("exchanges/errors.py", "_IP_CODES")}


def test_everything_derives_from_the_registry():
    from django.conf import settings

    from sequence.catalog.services import EXCHANGES as catalogue
    from sequence.exchanges.factory import ADAPTERS
    from sequence.exchanges.verify import EXCHANGE_NAMES

    assert EXCHANGE_IDS == tuple(EXCHANGES) == ("bybit", "okx", "kucoin", "kraken", "binance",
                                                "binanceus")
    assert tuple(CREDENTIAL_FIELDS) == tuple(API_URL_SETTINGS) == EXCHANGE_IDS
    assert tuple(EXCHANGE_NAMES) == EXCHANGE_IDS and set(ADAPTERS) == set(EXCHANGE_IDS)
    assert all(ADAPTERS[e].exchange == e for e in EXCHANGE_IDS)
    assert [row["slug"] for row in catalogue] == list(EXCHANGE_IDS)
    assert [row["sort_order"] for row in catalogue] == list(range(1, len(EXCHANGE_IDS) + 1))
    assert {row["slug"]: row["name"] for row in catalogue} == EXCHANGE_NAMES
    assert tuple(settings.EXCHANGE_RATE_PER_IP) == EXCHANGE_IDS
    for name in API_URL_SETTINGS.values():
        assert isinstance(getattr(settings, name), str)  # each *_API_URL setting exists


def test_secret_fields_are_defined_once():
    from sequence.onboarding import fields, views
    from sequence.vault import models

    assert SECRET_FIELDS == ("api_key", "api_secret", "passphrase", "private_key")
    assert models.SECRET_FIELDS is SECRET_FIELDS
    assert fields.SECRET_FIELDS is SECRET_FIELDS and views.SECRET_POST_FIELDS is SECRET_FIELDS
    assert "api_name" not in SECRET_FIELDS


def _assigned_names(tree: ast.AST) -> dict[int, str]:
    out = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    out[id(node.value)] = target.id
    return out


def _literals(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.List | ast.Tuple | ast.Set):
            yield node, node.elts
        elif isinstance(node, ast.Dict):
            yield node, [k for k in node.keys if k is not None]


def _strings(elements) -> set[str]:
    return {e.value for e in elements if isinstance(e, ast.Constant) and isinstance(e.value, str)}


def test_no_second_list_in_the_source():
    exchanges, secrets = set(EXCHANGE_IDS), set(SECRET_FIELDS)
    found = []
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        where = path.relative_to(SRC)
        assigned = _assigned_names(tree)
        for node, elements in _literals(tree):
            names = _strings(elements)
            if (str(where), assigned.get(id(node))) in CODE_TABLES or path == REGISTRY:
                continue
            if len(names & exchanges) >= 3:
                found.append(f"{where}:{node.lineno}: exchanges {sorted(names & exchanges)}")
            if path != CREDENTIALS and len(names & secrets) >= 3:
                found.append(f"{where}:{node.lineno}: secret fields {sorted(names & secrets)}")
    assert found == [], "define these once: " + "; ".join(found)


def test_the_scan_finds_a_second_list():
    """The scan above can fail: a planted list is found."""
    tree = ast.parse('EXTRA = {"bybit": 1, "okx": 2, "kraken": 3}\n'
                     'MORE = ("api_key", "passphrase", "private_key")')
    hits = [_strings(elements) for _, elements in _literals(tree)]
    assert {"bybit", "okx", "kraken"} in hits
    assert {"api_key", "passphrase", "private_key"} in hits

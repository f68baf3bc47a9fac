"""Lock only the rows you mean (issue 14 item 1): a row lock taken over a join names its table.

``select_for_update()`` with ``select_related(...)`` locks every joined row too (the user, the
offering...), which is how a verification job once deadlocked against a key submission. The
rule: a locking query that joins says ``of=(...)``. This scans the source for the class."""

from __future__ import annotations

import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "sequence"
# one ORM expression: from .objects up to the end of its statement (a line, or a bracketed run)
LOCK_WITHOUT_OF = re.compile(r"select_for_update\(\s*\)")


def offenders(root: Path) -> list[str]:
    found = []
    for path in root.rglob("*.py"):
        text = path.read_text()
        for match in LOCK_WITHOUT_OF.finditer(text):
            statement_end = text.find("\n", match.end())
            chain = text[text.rfind("\n", 0, match.start()) + 1:statement_end]
            if "select_related" in chain or "prefetch_related" in chain:
                found.append(f"{path.relative_to(root)}:{text.count(chr(10), 0, match.start()) + 1}")
    return found


def test_no_locking_query_joins_without_naming_its_table():
    assert offenders(SRC) == []


def test_the_scan_finds_a_join_locked_without_of(tmp_path):
    (tmp_path / "bad.py").write_text('x = M.objects.select_for_update().select_related("user").get(pk=1)\n'
                                     'y = M.objects.select_for_update(of=("self",)).select_related("user")\n')
    assert offenders(tmp_path) == ["bad.py:1"]

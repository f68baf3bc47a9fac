"""Our own code and our hard dependencies are imported, never skipped when they fail to import.

`pytest.importorskip("sequence...")` turns a broken import into a quiet skip: the test can then
never fail. This guard fails if such a call reappears anywhere under tests/.
"""

from __future__ import annotations

import re
from pathlib import Path

TESTS = Path(__file__).resolve().parent
HARD = ("sequence", "numpy", "numba", "django", "procrastinate", "ccxt", "psycopg")
CALL = re.compile(r"importorskip\(\s*[\"'](?P<module>[\w.]+)")


def test_no_importorskip_of_our_code_or_hard_dependencies():
    found = [
        f"{path.relative_to(TESTS)}:{text.count(chr(10), 0, m.start()) + 1}: {m['module']}"
        for path in sorted(TESTS.rglob("*.py")) if path != Path(__file__).resolve()
        for text in [path.read_text()]
        for m in CALL.finditer(text)
        if m["module"].split(".")[0] in HARD
    ]
    assert found == [], "import these normally:\n" + "\n".join(found)


def test_the_guard_sees_an_importorskip_of_sequence():
    # The pattern the guard relies on matches the call it exists to catch.
    assert CALL.search('pytest.importorskip("sequence.strategy.kernel_nb")')["module"] == (
        "sequence.strategy.kernel_nb")

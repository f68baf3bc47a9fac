"""Issue 11 item 8 (J1, J2): /help/ seeded from the guide, edited by operators in Markdown,
rendered by markdown-it-py and sanitised by nh3."""

from __future__ import annotations

import pytest

from sequence.ops.helptext import render
from sequence.ops.models import AuditEvent, HelpPage
from tests.ops.helpers import sign_in, with_app

pytestmark = pytest.mark.django_db

HOSTILE = """# Title

<script>alert("x")</script>

<iframe src="https://evil.example/"></iframe>

[click](javascript:alert(1)) and <a href="javascript:alert(2)">raw</a> and <a href="https://ok.example/" onclick="x()">ok</a>
<img src="x" onerror="alert(3)">

**bold** and a [support link](mailto:support@example.com)
"""


def test_markdown_with_script_iframe_and_javascript_links_is_sanitised():
    html = str(render(HOSTILE))
    for bad in ("<script", "alert(\"x\")", "<iframe", "evil.example", 'href="javascript', "onclick", "onerror"):
        assert bad not in html, bad
    assert '<a rel="noopener noreferrer">raw</a>' in html  # the raw link lost its javascript: href
    assert "<strong>bold</strong>" in html
    assert '<a href="https://ok.example/" rel="noopener noreferrer">ok</a>' in html
    assert 'href="mailto:support@example.com"' in html


SEEDED = {
    "strategy-statuses": "Awaiting launch", "trade-only": "cannot transfer or withdraw",
    "withdrawals": "5% of your total wallet balance", "after-launch": "No manual trades",
    "api-validity": "90 days", "pnl-unit": "unit of account", "bybit": "Unified Trading",
    "okx": "passphrase", "kucoin": "General", "kraken": "one-way", "binance": "alternate connection method",
}


def test_help_is_seeded_with_the_guides_content_and_open_to_everyone(client, settings):
    settings.SUPPORT_EMAIL = "help@sequence.example"
    settings.LEGAL_NAME = "Sequence Ltd"
    settings.LEGAL_DISCLAIMER = "Trading carries risks."
    index = client.get("/help/").content.decode()
    assert "Glossary" in index and "FAQ" in index and "Exchange guides: getting started" in index
    for slug, phrase in SEEDED.items():
        page = client.get(f"/help/{slug}/")
        html = page.content.decode()
        assert page.status_code == 200 and phrase in html, slug
        # the configurable footer on every page
        assert "help@sequence.example" in html and "Sequence Ltd" in html and "Trading carries risks." in html
    assert set(HelpPage.objects.filter(section="guide").values_list("slug", flat=True)) == {
        "bybit", "okx", "kucoin", "kraken", "binance"}
    assert client.get("/help/no-such-page/").status_code == 404


def test_an_operator_edits_a_page_and_the_reader_sees_it_sanitised(client, operator, settings):
    settings.DEMO = False
    with_app(operator)
    sign_in(client, operator)
    response = client.post("/ops/help/bybit/", {"title": "Bybit: getting started", "section": "guide",
                                                "sort_order": "20", "body": HOSTILE})
    assert response.url == "/ops/help/bybit/"
    html = client.get("/help/bybit/").content.decode()
    assert "<strong>bold</strong>" in html and "<script>alert" not in html and 'href="javascript' not in html
    assert AuditEvent.objects.get(action="ops.help_page_saved").actor == operator
    created = client.post("/ops/help/new/", {"title": "Deposits", "section": "faq", "body": "Deposit *any time*."})
    assert created.url == "/ops/help/deposits/"
    assert "<em>any time</em>" in client.get("/help/deposits/").content.decode()
    bad = client.post("/ops/help/new/", {"title": "", "section": "faq", "body": "x"})
    assert bad.status_code == 200 and "Give the page a title." in bad.content.decode()
    bad = client.post("/ops/help/new/", {"title": "X", "section": "nope", "body": "x", "sort_order": "abc"})
    assert "Choose a section." in bad.content.decode()


def test_the_submission_page_links_to_the_exchange_guides(client, alice):
    from tests.ops.helpers import sign_in

    sign_in(client, alice)
    page = client.get("/submit/").content.decode()
    assert 'href="/help/#section-guide" id="exchange-guides"' in page and "Exchange Guides: Getting Started" in page
    guides = client.get("/help/").content.decode().split('id="section-guide"')[1].split("</section>")[0]
    assert "Exchange guides: getting started" in guides and "/help/bybit/" in guides

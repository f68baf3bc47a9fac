"""Help pages: Markdown rendered by markdown-it-py, then sanitised by nh3 (Ammonia).

No escaping is written here: the renderer turns Markdown (raw HTML allowed, so that the
sanitiser, not the renderer's options, is what stands between an operator's text and the
reader) into HTML, and nh3 keeps only an allow-list of tags and attributes and only
http(s) and mailto links.
"""

from __future__ import annotations

import nh3
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import slugify
from markdown_it import MarkdownIt

from sequence.ops.models import HelpPage
from sequence.ops.services import audit_record

_MD = MarkdownIt("commonmark", {"html": True, "linkify": False}).enable("table").enable("strikethrough")
TAGS = {"a", "p", "br", "hr", "strong", "em", "code", "pre", "blockquote", "ul", "ol", "li", "h2", "h3", "h4",
        "table", "thead", "tbody", "tr", "th", "td", "del", "img"}
ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "th": {"align"}, "td": {"align"}}


def render(markdown: str) -> SafeString:
    html = _MD.render(markdown or "")
    clean = nh3.clean(html, tags=TAGS, attributes=ATTRIBUTES, url_schemes={"http", "https", "mailto"},
                      link_rel="noopener noreferrer")
    return mark_safe(clean)  # noqa: S308  # sanitised by nh3 just above


@transaction.atomic
def page_save(*, page: HelpPage | None, data, actor, request=None) -> HelpPage:
    title = (data.get("title") or "").strip()[:120]
    body = data.get("body") or ""
    section = data.get("section", "")
    if not title:
        raise ValidationError("Give the page a title.")
    if section not in HelpPage.Section.values:
        raise ValidationError("Choose a section.")
    if len(body) > 50_000:
        raise ValidationError("The page is too long (at most 50,000 characters).")
    try:
        order = max(0, min(999, int(data.get("sort_order") or 0)))
    except ValueError:
        raise ValidationError("The order is a whole number.") from None
    if page is None:
        slug = slugify(title)[:60]
        if not slug or HelpPage.objects.filter(slug=slug).exists():
            raise ValidationError("A page with that title exists already: choose another title.")
        page = HelpPage(slug=slug)
    page.title, page.section, page.body, page.sort_order = title, section, body, order
    page.updated_at, page.updated_by = timezone.now(), actor
    page.save()
    audit_record(actor=actor, action="ops.help_page_saved", target=page, request=request,
                 data={"slug": page.slug, "title": title})
    return page


def pages_by_section() -> list[tuple[str, str, list[HelpPage]]]:
    """(section, its label, its pages) for each section, in the sections' order."""
    pages = list(HelpPage.objects.all())
    return [(value, label, [p for p in pages if p.section == value]) for value, label in HelpPage.Section.choices]


def page(slug: str) -> HelpPage | None:
    return HelpPage.objects.filter(slug=slug).first()

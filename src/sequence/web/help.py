"""/help/: glossary, FAQ and exchange guides, written by operators in the console (J1, J2)."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import render

from sequence.ops import helptext


def help_index(request):
    return render(request, "web/help/index.html", {"sections": helptext.pages_by_section()})


def help_page(request, slug):
    page = helptext.page(slug)
    if page is None:
        raise Http404
    return render(request, "web/help/page.html", {"page": page, "body": helptext.render(page.body)})

"""Help pages in the console: operators write them in Markdown (shown at /help/)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render

from sequence.ops import helptext
from sequence.ops.access import staff_required
from sequence.ops.models import HelpPage


@staff_required
def page_list(request):
    return render(request, "ops/help_pages.html", {"pages": HelpPage.objects.all()})


@staff_required
def page_edit(request, slug=None):
    page = HelpPage.objects.filter(slug=slug).first() if slug else None
    if slug and page is None:
        raise Http404
    values, error = request.POST if request.method == "POST" else {}, ""
    if request.method == "POST":
        try:
            page = helptext.page_save(page=page, data=request.POST, actor=request.user, request=request)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(request, "Saved.")
            return redirect("ops:help_page", slug=page.slug)
    elif page is not None:
        values = {"title": page.title, "section": page.section, "body": page.body, "sort_order": page.sort_order}
    return render(request, "ops/help_page.html", {
        "page": page, "values": values, "error": error, "sections": HelpPage.Section.choices,
        "preview": helptext.render(values.get("body", "")) if values else ""})

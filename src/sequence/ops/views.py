from __future__ import annotations

from django.conf import settings
from django.http import Http404
from django.shortcuts import render

from sequence.ops import selectors
from sequence.ops.access import staff_required
from sequence.ops.mailbox import read_mailbox


@staff_required
def home(request):
    """H3: what needs the team, in one place, each with a count."""
    return render(request, "ops/home.html", {"attention": selectors.attention()})


@staff_required
def demo_mailbox(request):
    """Demo only: the mails the local SMTP sink received (sign-in codes included, by design)."""
    if not settings.DEMO:
        raise Http404
    mails = read_mailbox(settings.DEMO_MAILDIR)
    return render(request, "ops/demo_mailbox.html", {"mails": mails})

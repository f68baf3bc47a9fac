"""The dashboard's withdrawal-notice section loads its own data: the dashboard view stays as it is."""

from __future__ import annotations

from django import template

register = template.Library()


@register.simple_tag
def withdrawal_notices(user, rows=None) -> dict:
    """``rows``: the dashboard's bot rows when it has them (its bots are not read twice)."""
    from sequence.compliance.views import dashboard_context

    known = isinstance(rows, (list, tuple))  # a page without them passes "" (an unknown variable)
    return dashboard_context(user, bots=[row.bot for row in rows] if known else None)

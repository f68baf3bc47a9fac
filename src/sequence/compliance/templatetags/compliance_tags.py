"""The dashboard's withdrawal-notice section loads its own data: the dashboard view stays as it is."""

from __future__ import annotations

from django import template

register = template.Library()


@register.simple_tag
def withdrawal_notices(user) -> dict:
    from sequence.compliance.views import dashboard_context

    return dashboard_context(user)

"""Our own `check --deploy` findings (Django runs them with its security checks)."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def secrets_from_the_environment(app_configs, **kwargs):
    """Outside the demo a missing secret stops the start (settings.py); in the demo it is made up
    under var/, which a deployment must not rely on."""
    return [
        Warning(f"{name} was generated into var/local-secrets.json (the demo does that).",
                hint=f"Set {name} (or {name}_FILE) to the same value for every process, and leave the demo off.",
                id="sequence.W001")
        for name in getattr(settings, "LOCAL_SECRETS", [])
    ]


@register(Tags.security, deploy=True)
def client_address_behind_the_proxy(app_configs, **kwargs):
    if getattr(settings, "BEHIND_TLS_PROXY", False) and settings.TRUSTED_PROXY_COUNT == 0:
        return [Warning("BEHIND_TLS_PROXY is on but TRUSTED_PROXY_COUNT is 0: every client would have the "
                        "proxy's address, and a few wrong passwords from anywhere would lock everybody out.",
                        hint="Set TRUSTED_PROXY_COUNT to the number of your proxies (README, Behind a proxy).",
                        id="sequence.W002")]
    return []

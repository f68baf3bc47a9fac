"""System checks: the vault's keys are well-formed, and say so when they were generated locally."""

from __future__ import annotations

from django.core.checks import Error, Info, Warning, register

from sequence.core.sealing import SealingKeyError
from sequence.vault.keys import keys_configured, vault_keys

LOCAL_MESSAGE = "vault keys generated locally under var/; set VAULT_PUBLIC_KEY/VAULT_PRIVATE_KEYS in production"
LOCAL_HINT = "`sequence vault keygen` prints a pair; give the private key to workers only."


@register("vault", deploy=True)
def vault_keys_deploy_check(app_configs=None, **kwargs):
    """Production (`check --deploy`) must not run on a pair generated under var/."""
    if keys_configured():
        return []
    return [Warning(LOCAL_MESSAGE, hint=LOCAL_HINT, id="vault.W001")]


@register("vault")
def vault_keys_check(app_configs=None, **kwargs):
    try:
        keys = vault_keys()
    except SealingKeyError as exc:
        return [Error(f"vault keys are malformed: {exc}", hint="Generate a pair with `sequence vault keygen`.",
                      id="vault.E001")]
    except (OSError, ValueError) as exc:
        return [Error(f"vault keys cannot be loaded: {type(exc).__name__}", id="vault.E002")]
    issues = []
    if keys.generated_locally and not keys_configured():
        issues.append(Info(LOCAL_MESSAGE, hint=LOCAL_HINT, id="vault.I001"))
    if keys.private is not None:
        if keys.public.current not in keys.private.keys:
            issues.append(Error(f"VAULT_PUBLIC_KEY kid {keys.public.current!r} is not in VAULT_PRIVATE_KEYS: "
                                "values sealed now could not be opened here", id="vault.E003"))
        elif not keys.private.matches(keys.public):
            issues.append(Error(f"VAULT_PUBLIC_KEY kid {keys.public.current!r} is not the public half of the "
                                "private key with that kid", id="vault.E004"))
    return issues

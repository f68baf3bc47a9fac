"""Writes of the ops app."""

from __future__ import annotations

from sequence.ops.models import AuditEvent


def audit_record(*, actor, action: str, target=None, data: dict | None = None, request=None) -> AuditEvent:
    """Append one audit event, in the caller's transaction. `data` must hold no secret."""
    ip = None
    if request is not None:
        ip = request.META.get("REMOTE_ADDR") or None
    return AuditEvent.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        actor_label=getattr(actor, "email", None) or str(actor or "system"),
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        ip_address=ip,
        data=data or {},
    )

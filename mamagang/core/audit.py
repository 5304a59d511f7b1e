"""Write audit events. Every state-changing service calls `audit_record`."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import models
from django.utils import timezone

from .models import AuditEvent

if TYPE_CHECKING:
    from mamagang.accounts.models import User


def audit_record(
    *,
    actor: User | None,
    action: str,
    obj: models.Model,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str = "",
) -> AuditEvent:
    """
    Record that `actor` did `action` to `obj`, with the fields that changed.

    Call it inside the service's transaction so the event commits with the
    change. Never put clear-text personal identifiers in `before`/`after`.
    """
    event = _build(actor=actor, action=action, obj=obj, before=before, after=after, reason=reason)
    event.save()
    return event


def audit_record_many(
    *,
    actor: User | None,
    action: str,
    changes: Iterable[tuple[models.Model, dict[str, Any] | None, dict[str, Any] | None]],
    reason: str = "",
    batch_size: int = 500,
) -> list[AuditEvent]:
    """
    Record the same `action` on many objects in few INSERTs (bulk imports).

    `changes` holds (obj, before, after) triples; otherwise as audit_record.
    """
    now = timezone.now()
    events = [
        _build(
            actor=actor, action=action, obj=obj, before=before, after=after, reason=reason, at=now
        )
        for obj, before, after in changes
    ]
    return AuditEvent.objects.bulk_create(events, batch_size=batch_size)


def _build(
    *,
    actor: User | None,
    action: str,
    obj: models.Model,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    reason: str,
    at: datetime | None = None,
) -> AuditEvent:
    return AuditEvent(
        occurred_at=at or timezone.now(),
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        before=before,
        after=after,
        reason=reason,
    )


def snapshot(obj: models.Model, fields: list[str]) -> dict[str, Any]:
    """Return a JSON-safe dict of `fields` of `obj`, for before/after."""
    data: dict[str, Any] = {}
    for name in fields:
        value = getattr(obj, name)
        if isinstance(value, models.Model):
            value = value.pk
        elif value is not None and not isinstance(value, bool | int | float | str):
            value = str(value)
        data[name] = value
    return data

"""Celery tasks of the jobs app: each calls one service with the current time."""

from celery import shared_task
from django.utils import timezone


@shared_task(acks_late=True)
def jobs_expire_overdue() -> int:
    """Expire posts past their end date. Safe to run twice."""
    from .services import jobs_expire_overdue as expire

    return expire(now=timezone.now())


@shared_task(acks_late=True)
def jobs_warn_expiring() -> int:
    """Warn employers a week before their posts end. Safe to run twice."""
    from .services import jobs_warn_expiring as warn

    return warn(now=timezone.now())

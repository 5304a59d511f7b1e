"""Celery tasks of the employers app: they take ids or dates and call a service."""

from celery import shared_task
from django.utils import timezone


@shared_task(acks_late=True)
def registry_editions_publish_due() -> list[int]:
    """
    Publish the registry editions due this hour (each region has its own
    day and hour) and return the new editions' ids. Safe to run twice: a
    region whose content did not change gets no new edition.
    """
    from employers.services import editions  # services may import tasks; avoid the cycle

    return [edition.pk for edition in editions.registry_editions_publish_due(now=timezone.now())]

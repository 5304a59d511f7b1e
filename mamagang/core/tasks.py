"""Celery tasks of the core package: they load by id and call a service."""

from smtplib import SMTPException

from celery import shared_task
from django.utils import timezone


@shared_task(bind=True, max_retries=5, acks_late=True)
def notification_email_send(self, *, notification_id: int) -> bool:
    """E-mail one notification; safe to run twice (sends at most once)."""
    from . import emails

    try:
        return emails.notification_email_deliver(notification_id=notification_id)
    except (SMTPException, OSError) as exc:
        raise self.retry(exc=exc, countdown=60 * 2**self.request.retries) from exc


@shared_task(acks_late=True)
def notification_sms_send(*, notification_id: int) -> bool:
    """Text one notification's title and link; safe to run twice (sends at most once)."""
    from .services import notification_sms_deliver

    return notification_sms_deliver(notification_id=notification_id)


@shared_task(acks_late=True)
def notifications_purge_read() -> int:
    """Delete long-read notifications. Safe to run twice."""
    from .services import notifications_purge_read as purge

    return purge(now=timezone.now())


@shared_task(acks_late=True)
def notification_fanout(
    *,
    user_ids: list[int],
    kind: str,
    title: str,
    body: str = "",
    link: str = "",
    email: bool = False,
    sms: bool = False,
) -> int:
    """Notify several users of one event (called after the event's commit)."""
    from .services import notifications_send_many

    return notifications_send_many(
        user_ids=user_ids, kind=kind, title=title, body=body, link=link, email=email, sms=sms
    )

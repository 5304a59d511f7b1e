"""Write use-cases shared by every app: notifications."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import Notification
from .sms import sms_send
from .tasks import notification_email_send as notification_email_send_task
from .tasks import notification_sms_send as notification_sms_send_task

if TYPE_CHECKING:
    from mamagang.accounts.models import User

READ_NOTIFICATION_RETENTION = timedelta(days=180)


@transaction.atomic
def notification_send(
    *,
    recipient: User,
    kind: str,
    title: str,
    body: str = "",
    link: str = "",
    email: bool = False,
    sms: bool = False,
) -> Notification:
    """
    Put a notification in `recipient`'s inbox; with `email`, also e-mail it;
    with `sms`, also text its title and link to her phone.

    E-mail and SMS are sent by Celery tasks after the transaction commits;
    e-mail only if the recipient has an e-mail address.
    """
    notification = Notification.objects.create(
        recipient=recipient,
        kind=kind,
        title=title[:200],
        body=body,
        link=link,
        email_requested=email and bool(recipient.email),
        sms_requested=sms and bool(recipient.phone),
    )
    _enqueue_delivery([notification])
    return notification


def _enqueue_delivery(notifications: list[Notification]) -> None:
    for notification in notifications:
        if notification.email_requested:
            transaction.on_commit(
                partial(notification_email_send_task.delay, notification_id=notification.pk)
            )
        if notification.sms_requested:
            transaction.on_commit(
                partial(notification_sms_send_task.delay, notification_id=notification.pk)
            )


@transaction.atomic
def notifications_bulk_send(
    *, items: list[tuple[User, str, str, str, str]], email: bool = False, sms: bool = False
) -> list[Notification]:
    """
    Create many notifications in one INSERT: `items` holds (recipient, kind,
    title, body, link). For periodic jobs that notify many people at once.
    """
    rows = [
        Notification(
            recipient=recipient,
            kind=kind,
            title=title[:200],
            body=body,
            link=link,
            email_requested=email and bool(recipient.email),
            sms_requested=sms and bool(recipient.phone),
        )
        for recipient, kind, title, body, link in items
    ]
    created = Notification.objects.bulk_create(rows, batch_size=1000)
    _enqueue_delivery(created)
    return created


@transaction.atomic
def notification_sms_deliver(*, notification_id: int) -> bool:
    """Text one notification once; return False if already sent or not wanted."""
    notification = (
        Notification.objects.select_for_update()
        .select_related("recipient")
        .filter(pk=notification_id, sms_requested=True, sms_sent_at__isnull=True)
        .first()
    )
    if notification is None:
        return False
    link = notification.link
    if link.startswith("/"):
        link = getattr(settings, "MAMAGANG_SITE_URL", "").rstrip("/") + link
    text = f"【妈妈岗】{notification.title}" + (f" {link}" if link else "")
    sms_send(phone=notification.recipient.phone, text=text)
    notification.sms_sent_at = timezone.now()
    notification.save(update_fields=["sms_sent_at", "updated_at"])
    return True


def notification_mark_read(*, notification: Notification, now: datetime) -> Notification:
    """Mark `notification` read (idempotent)."""
    if notification.read_at is None:
        notification.read_at = now
        notification.save(update_fields=["read_at", "updated_at"])
    return notification


def notifications_purge_read(*, now: datetime) -> int:
    """Delete notifications read more than 180 days before `now`; return how many."""
    deleted, _ = Notification.objects.filter(read_at__lt=now - READ_NOTIFICATION_RETENTION).delete()
    return deleted


@transaction.atomic
def notifications_send_many(
    *,
    user_ids: list[int],
    kind: str,
    title: str,
    body: str = "",
    link: str = "",
    email: bool = False,
    sms: bool = False,
) -> int:
    """Send the same notification to every active user in `user_ids`; return how many."""
    from mamagang.accounts.models import User

    recipients = User.objects.filter(pk__in=user_ids, is_active=True)
    count = 0
    for recipient in recipients:
        notification_send(
            recipient=recipient, kind=kind, title=title, body=body, link=link, email=email, sms=sms
        )
        count += 1
    return count

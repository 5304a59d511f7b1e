"""Write use-cases shared by every app: notifications."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING

from django.db import transaction

from .models import Notification
from .tasks import notification_email_send as notification_email_send_task

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
) -> Notification:
    """
    Put a notification in `recipient`'s inbox; with `email`, also e-mail it.

    The e-mail is sent by a Celery task after the transaction commits, and
    only if the recipient has an e-mail address.
    """
    notification = Notification.objects.create(
        recipient=recipient,
        kind=kind,
        title=title[:200],
        body=body,
        link=link,
        email_requested=email and bool(recipient.email),
    )
    if notification.email_requested:
        transaction.on_commit(
            partial(notification_email_send_task.delay, notification_id=notification.pk)
        )
    return notification


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
) -> int:
    """Send the same notification to every active user in `user_ids`; return how many."""
    from mamagang.accounts.models import User

    recipients = User.objects.filter(pk__in=user_ids, is_active=True)
    count = 0
    for recipient in recipients:
        notification_send(
            recipient=recipient, kind=kind, title=title, body=body, link=link, email=email
        )
        count += 1
    return count

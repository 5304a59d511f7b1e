"""Read use-cases of the core package."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from .models import Notification

if TYPE_CHECKING:
    from mamagang.accounts.models import User


def notification_list_for_user(*, user: User) -> QuerySet[Notification]:
    """Return `user`'s notifications, newest first."""
    return Notification.objects.filter(recipient=user).order_by("-created_at", "-pk")


def notification_unread_count(*, user: User) -> int:
    """Return how many of `user`'s notifications are unread."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()

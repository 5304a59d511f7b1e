"""Render and send e-mails from template pairs (templates/email/<app>/<event>_*.txt)."""

from __future__ import annotations

from typing import Any

from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from .models import Notification


def email_render(*, template: str, context: dict[str, Any]) -> tuple[str, str]:
    """Return (subject, body) rendered from `<template>_subject.txt` and `_body.txt`."""
    subject = render_to_string(f"{template}_subject.txt", context).strip()
    body = render_to_string(f"{template}_body.txt", context)
    return " ".join(subject.split()), body


def notification_email_deliver(*, notification_id: int) -> bool:
    """
    Send the e-mail for one notification unless it was already sent.

    Return True when an e-mail went out. The row is locked so two workers
    running the same task cannot both send it.
    """
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update()
            .select_related("recipient")
            .filter(pk=notification_id)
            .first()
        )
        if notification is None or notification.emailed_at or not notification.recipient.email:
            return False
        with translation.override("zh-hans"):
            subject, body = email_render(
                template="email/core/notification",
                context={"notification": notification, "recipient": notification.recipient},
            )
        send_mail(subject, body, None, [notification.recipient.email])
        notification.emailed_at = timezone.now()
        notification.save(update_fields=["emailed_at", "updated_at"])
    return True

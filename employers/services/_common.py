"""Helpers shared by the employer services."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from django.db import transaction

from mamagang.core.tasks import notification_fanout as notification_fanout_task

if TYPE_CHECKING:
    from employers.models import Employer


def notify_employer_members(
    *, employer: Employer, kind: str, title: str, body: str, link: str
) -> None:
    """
    After the transaction commits, put a notification (and e-mail) in the
    inbox of every member of `employer`.
    """
    user_ids = list(employer.memberships.values_list("user_id", flat=True))
    if not user_ids:
        return
    transaction.on_commit(
        partial(
            notification_fanout_task.delay,
            user_ids=user_ids,
            kind=kind,
            title=title,
            body=body,
            link=link,
            email=True,
        )
    )

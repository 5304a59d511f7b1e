"""Celery tasks of the applicants app: they take dates or names and call one service."""

from __future__ import annotations

import dataclasses
import datetime

from celery import shared_task
from django.utils import timezone


@shared_task(acks_late=True)
def applicants_recheck_daily(on: str | None = None) -> dict:
    """
    Re-evaluate every applicant's eligibility as of `on` (an ISO date;
    default today in Asia/Shanghai), warn who stops qualifying within 60
    days, and return the counts. Safe to run twice: a second run for the
    same day changes and sends nothing.
    """
    from applicants import services  # services may import tasks; avoid the cycle

    day = datetime.date.fromisoformat(on) if on else timezone.localdate()
    return dataclasses.asdict(services.applicants_recheck(on=day))


@shared_task(acks_late=True)
def saved_search_digests(frequency: str) -> int:
    """
    Send the due `frequency` ("daily" or "weekly") digests of saved searches
    and return how many went out. Safe to run twice: each search remembers
    when its last digest went out.
    """
    from applicants.services.saved_searches import saved_searches_send_digests

    return saved_searches_send_digests(frequency=frequency, now=timezone.now())

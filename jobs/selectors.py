"""Read use-cases of the jobs app."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import Prefetch, Q, QuerySet

from mamagang.accounts.selectors import region_prefixes_for_user
from mamagang.regions.models import Region

from .models import Job, JobRegionSetting, JobWindow, MinimumWage

if TYPE_CHECKING:
    from employers.models import Employer
    from mamagang.accounts.models import User

DEFAULT_SCHOOL_DAY = (510, 960)  # 08:30-16:00


def _ancestors(region: Region) -> list[Region]:
    """Return `region` and its parents, nearest first (parents already loaded or fetched)."""
    chain = [region]
    while chain[-1].parent_id is not None:
        chain.append(chain[-1].parent)
    return chain


def job_region_setting(*, district: Region) -> tuple[bool, int, int]:
    """
    Return (review_required, school day start, school day end) for posts in
    `district`: its own setting, else its city's, else the defaults.
    """
    chain = _ancestors(district)
    settings_by_region = {s.region_id: s for s in JobRegionSetting.objects.filter(region__in=chain)}
    for region in chain:
        setting = settings_by_region.get(region.pk)
        if setting is not None:
            return (
                setting.review_required,
                setting.school_day_start_minute,
                setting.school_day_end_minute,
            )
    return (False, *DEFAULT_SCHOOL_DAY)


def minimum_hourly_wage(*, district: Region, on: datetime.date) -> Decimal | None:
    """
    Return the hourly minimum wage for non-full-time work in `district` on
    `on`: the latest row valid that day for the district, else its city,
    else its province; None if the table has none.
    """
    chain = _ancestors(district)
    rows = (
        MinimumWage.objects.filter(region__in=chain, valid_from__lte=on)
        .order_by("region_id", "-valid_from")
        .values_list("region_id", "hourly")
    )
    latest: dict[int, Decimal] = {}
    for region_id, hourly in rows:
        latest.setdefault(region_id, hourly)
    for region in chain:
        if region.pk in latest:
            return latest[region.pk]
    return None


def _loaded(jobs: QuerySet[Job]) -> QuerySet[Job]:
    return jobs.select_related(
        "employer", "employer__district", "district", "district__parent", "street"
    ).prefetch_related(
        Prefetch("windows", queryset=JobWindow.objects.order_by("weekday", "start_minute"))
    )


def job_list_public(*, today: datetime.date) -> QuerySet[Job]:
    """Return the posts anyone may see, with what lists and the API render."""
    return _loaded(Job.objects.public(today=today)).order_by("-published_at", "-pk")


def job_get_public(*, pk: int, today: datetime.date) -> Job:
    """Return one public post; raise Job.DoesNotExist (a 404) otherwise."""
    return job_list_public(today=today).get(pk=pk)


def job_list_for_employer(*, employer: Employer) -> QuerySet[Job]:
    """Return all of `employer`'s posts, newest first."""
    return _loaded(Job.objects.of_employer(employer.pk)).order_by("-created_at", "-pk")


def job_list_for_staff(*, user: User) -> QuerySet[Job]:
    """Return the posts in the districts `user` may act on."""
    prefixes = region_prefixes_for_user(user=user)
    if not prefixes:
        return Job.objects.none()
    if "" in prefixes:
        scope = Q()
    else:
        scope = Q()
        for prefix in prefixes:
            scope |= Q(district__code__startswith=prefix)
    return _loaded(Job.objects.filter(scope)).order_by("-submitted_at", "-pk")

"""
Read use-cases for a mother's job hunting: "jobs for me" (public posts
ranked by how well they fit her availability and intentions, scored in
SQL) and her saved searches.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import reduce
from operator import add
from typing import TYPE_CHECKING

from django.db.models import (
    Case,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.expressions import Expression
from django.db.models.functions import Cast, Coalesce, Greatest, Least, NullIf, Round
from django.http import QueryDict

from employers.models import Employer
from jobs.models import Job, JobWindow
from jobs.selectors import job_list_public
from mamagang.regions.models import Region

from .fit import Fit, fit_for, windows_from_rows
from .models import Applicant, FreeWindow, SavedSearch

if TYPE_CHECKING:
    from mamagang.accounts.models import User

# Points of each part of the fit score (0-100).
SCORE_SCHEDULE = 40  # times the share of the post's minutes inside her free windows
SCORE_SAME_DISTRICT = 20
SCORE_LOCATION_MODE = 10
SCORE_SECTOR = 10
SCORE_POST_MODE = 10
SCORE_EMPLOYMENT_FORM = 10

# Only the newest candidates are scored: the window subquery runs once per
# candidate, and a post published months ago rarely beats a fresh one. With
# 20,000 generated posts (about 4,900 candidates for a Shenzhen mother) the
# call took ~85-110 ms with this cap and ~185-270 ms without it.
MAX_CANDIDATES = 2000


def applicant_get_for_user(*, user: User) -> Applicant | None:
    """Return `user`'s own (not anonymised) profile with her district, or None."""
    if not user.is_authenticated:
        return None
    return (
        Applicant.objects.select_related("residence_district")
        .filter(user=user, anonymised_at__isnull=True)
        .first()
    )


def _flag(condition: Q, points: int) -> Case:
    return Case(When(condition, then=Value(points)), default=Value(0), output_field=IntegerField())


def _schedule_share(free: list[FreeWindow]) -> Expression:
    """
    Return the share (0-1) of a post's weekly minutes inside her free
    windows, 1 for a post without fixed hours, as a correlated subquery over
    the post's windows: the SQL form of applicants.fit.schedule_overlap.

    Her windows (a handful, stored normalised so no minute counts twice)
    are inlined as constants per weekday instead of joining her rows: the
    subquery then reads only the post's windows, which keeps the plan cheap
    enough that PostgreSQL does not JIT-compile it (that alone cost ~100 ms).
    Without any free windows of hers nothing is known: 0 for every post.
    """
    if not free:
        return Value(0.0, output_field=FloatField())
    by_day: dict[int, list[FreeWindow]] = {}
    for window in free:
        by_day.setdefault(window.weekday, []).append(window)
    start, end = F("start_minute"), F("end_minute")
    inside = Case(
        *(
            When(
                weekday=day,
                then=reduce(
                    add,
                    (
                        Greatest(
                            Value(0),
                            Least(end, Value(w.end_minute))
                            - Greatest(start, Value(w.start_minute)),
                        )
                        for w in windows
                    ),
                ),
            )
            for day, windows in by_day.items()
        ),
        default=Value(0),
        output_field=IntegerField(),
    )
    share = (
        JobWindow.objects.filter(job=OuterRef("pk"))
        .order_by()
        .values("job_id")
        .annotate(
            share=Cast(Sum(inside), FloatField())
            / NullIf(Cast(Sum(end - start), FloatField()), Value(0.0))
        )
        .values("share")
    )
    return Coalesce(Subquery(share, output_field=FloatField()), Value(1.0))


def jobs_for_applicant(
    *, applicant: Applicant, today: datetime.date, limit: int = 50
) -> list[tuple[Job, Fit, int]]:
    """
    Return up to `limit` public posts she could take, best first, each with
    its Fit (applicants.fit) and score (0-100).

    Candidates are the MAX_CANDIDATES newest public posts in her city (the
    district code's first 4 digits), done at home, or remote. The score is
    computed in SQL: SCORE_SCHEDULE times the share of the post's hours in
    her free windows (a post without fixed hours counts as fitting), plus
    points for her district, and for a location mode, sector, post mode and
    employment form she intends. Ties go to the newer post. A constant
    number of queries (her windows, the posts, their windows).
    """
    free = list(FreeWindow.objects.filter(applicant=applicant).order_by("weekday", "start_minute"))
    district = applicant.residence_district
    city_prefix = district.code[:4]
    candidates = (
        job_list_public(today=today)
        .filter(
            # Her city's districts share the first 4 digits (440306 → 4403xx).
            Q(district_id__in=Region.objects.filter(code__startswith=city_prefix).values("pk"))
            | Q(location_mode=Job.LocationMode.AT_HOME)
            | Q(employment_form=Job.EmploymentForm.REMOTE)
        )
        .order_by("-published_at", "-pk")
        .values("pk")[:MAX_CANDIDATES]
    )
    jobs = (
        Job.objects.filter(pk__in=candidates)
        .select_related("employer", "district", "street")
        .defer("search_tokens", "search_vector")
        .prefetch_related(
            Prefetch("windows", queryset=JobWindow.objects.order_by("weekday", "start_minute"))
        )
        .annotate(schedule_share=_schedule_share(free))
    )
    jobs = jobs.annotate(
        fit_score=Cast(Round(F("schedule_share") * SCORE_SCHEDULE), IntegerField())
        + _flag(Q(district_id=district.pk), SCORE_SAME_DISTRICT)
        + _flag(Q(location_mode__in=applicant.intended_location_modes), SCORE_LOCATION_MODE)
        + _flag(Q(sector__in=applicant.intended_sectors), SCORE_SECTOR)
        + _flag(Q(post_modes__overlap=applicant.intended_post_modes), SCORE_POST_MODE)
        + _flag(
            Q(employment_form__in=applicant.intended_employment_forms),
            SCORE_EMPLOYMENT_FORM,
        ),
    ).order_by("-fit_score", "-published_at", "-pk")[:limit]

    her_windows = windows_from_rows(free)
    skills = [*applicant.skills, *applicant.certificates]
    result = []
    for job in jobs:
        fit = fit_for(
            job_windows=windows_from_rows(job.windows.all()),
            her_windows=her_windows,
            job_district_id=job.district_id,
            her_district_id=district.pk,
            skills=skills,
            post_text=" ".join((job.title, job.occupation, job.description, job.certificates)),
        )
        result.append((job, fit, job.fit_score))
    return result


@dataclass(frozen=True)
class IntentionMatch:
    """Which of her intentions a post meets (for the "jobs for me" fit line)."""

    location_mode: bool
    sector: bool
    post_mode: bool
    employment_form: bool


def intention_match(*, applicant: Applicant, job: Job) -> IntentionMatch:
    """Return which of `applicant`'s intentions `job` meets (no queries)."""
    return IntentionMatch(
        location_mode=job.location_mode in applicant.intended_location_modes,
        sector=job.sector in applicant.intended_sectors,
        post_mode=bool(set(job.post_modes) & set(applicant.intended_post_modes)),
        employment_form=job.employment_form in applicant.intended_employment_forms,
    )


# Saved searches -------------------------------------------------------------------


def saved_search_list_for_user(*, user: User) -> list[SavedSearch]:
    """Return `user`'s saved searches by name."""
    return list(SavedSearch.objects.filter(user=user).order_by("name", "pk"))


def saved_search_get_for_user(*, user: User, pk: int) -> SavedSearch:
    """Return `user`'s saved search `pk`; raise SavedSearch.DoesNotExist otherwise."""
    return SavedSearch.objects.get(user=user, pk=pk)


@dataclass
class QueryNames:
    """Names of the regions and employers some query strings refer to, by code / id."""

    regions: dict[str, str] = field(default_factory=dict)
    employers: dict[str, str] = field(default_factory=dict)


def query_names(*, queries: Iterable[str]) -> QueryNames:
    """
    Return the names of the regions (city, district, street codes) and
    employers (ids) in `queries`: one query for each kind that occurs.
    """
    codes: set[str] = set()
    employer_ids: set[int] = set()
    for query in queries:
        params = QueryDict(query.lstrip("?"))
        for key in ("city", "district", "street"):
            codes.update(code for code in params.getlist(key) if code.isdigit())
        employer_ids.update(int(v) for v in params.getlist("employer") if v.isdigit())
    names = QueryNames()
    if codes:
        names.regions = dict(Region.objects.filter(code__in=codes).values_list("code", "name"))
    if employer_ids:
        names.employers = {
            str(pk): name
            for pk, name in Employer.objects.filter(pk__in=employer_ids).values_list("pk", "name")
        }
    return names

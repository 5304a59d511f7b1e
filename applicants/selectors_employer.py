"""
Reads for the employer workspace: the applications to an employer's posts
and the employments (就业登记) it registered, loaded for the list and detail
pages. Everything is scoped to one employer, so another employer's row is
simply not found (a 404, the same as a row that does not exist).

Employers see her masked data only: the masked ID number, never the
encrypted one, and her eligibility status, never her children.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.db.models import Case, Count, IntegerField, Prefetch, Q, QuerySet, Value, When

from jobs.models import Job, JobWindow

from .fit import Fit, fit_for, windows_from_rows
from .models import Application, ApplicationEvent, Employment, WorkExperience

if TYPE_CHECKING:
    from employers.models import Employer

# The daily re-check warns employers about eligibility ending this soon.
ELIGIBILITY_WARNING_DAYS = 60


def _job_windows() -> Prefetch:
    return Prefetch("job__windows", queryset=JobWindow.objects.order_by("weekday", "start_minute"))


def application_list_for_employer(*, employer: Employer) -> QuerySet[Application]:
    """
    Return the applications to `employer`'s posts, newest first, with the
    post (and its windows) and her district loaded for the list page.
    """
    return (
        Application.objects.filter(job__employer=employer)
        .select_related("job", "job__district", "applicant", "applicant__residence_district")
        .prefetch_related(_job_windows())
        .order_by("-submitted_at", "-pk")
    )


def application_counts_by_status(*, applications: QuerySet[Application]) -> dict[str, int]:
    """Return {status: count} for every status over `applications`, in one query."""
    rows = (
        applications.select_related(None)
        .prefetch_related(None)
        .order_by()
        .values("status")
        .annotate(n=Count("pk"))
    )
    counts = dict.fromkeys(Application.Status.values, 0)
    counts.update({row["status"]: row["n"] for row in rows})
    return counts


def application_get_for_employer(*, employer: Employer, pk: int) -> Application:
    """
    Return one application to `employer`'s posts with everything the detail
    page shows; raise Application.DoesNotExist otherwise (also for another
    employer's application).
    """
    return (
        application_list_for_employer(employer=employer)
        .select_related("applicant__residence_street")
        .prefetch_related(
            Prefetch(
                "applicant__experiences",
                queryset=WorkExperience.objects.order_by("-start_year", "pk"),
            ),
            Prefetch(
                "events",
                queryset=ApplicationEvent.objects.order_by("occurred_at", "pk"),
            ),
        )
        .get(pk=pk)
    )


def job_list_for_application_filter(*, employer: Employer) -> QuerySet[Job]:
    """Return `employer`'s posts to choose from when filtering applications."""
    return Job.objects.filter(employer=employer).only("pk", "title").order_by("-created_at", "-pk")


def application_fit(application: Application) -> Fit:
    """
    Return how well she fits the post: the share of the post's weekly hours
    inside the windows she offered, same district, and which of her skills
    and certificates the post mentions. Reads only loaded data.
    """
    job = application.job
    applicant = application.applicant
    post_text = " ".join(
        [job.title, job.occupation, job.certificates, job.other_requirements, job.description]
    )
    return fit_for(
        job_windows=windows_from_rows(job.windows.all()),
        her_windows=windows_from_rows(application.offered_windows),
        job_district_id=job.district_id,
        her_district_id=applicant.residence_district_id,
        skills=[*applicant.skills, *applicant.certificates],
        post_text=post_text,
    )


def employment_list_for_employer(
    *, employer: Employer, today: datetime.date
) -> QuerySet[Employment]:
    """
    Return `employer`'s employments: current ones first (no end date, or one
    not yet passed), then ended ones, each newest start first. Each row has
    `is_current` and `eligibility_ends_soon` (eligibility ends within
    ELIGIBILITY_WARNING_DAYS days).
    """
    current = Q(end_date__isnull=True) | Q(end_date__gte=today)
    warn_until = today + datetime.timedelta(days=ELIGIBILITY_WARNING_DAYS)
    return (
        Employment.objects.filter(employer=employer)
        .select_related("applicant", "applicant__residence_district", "job")
        .annotate(
            current_rank=Case(When(current, then=Value(0)), default=Value(1)),
            ends_soon_rank=Case(
                When(
                    current
                    & Q(applicant__eligible_until__gte=today)
                    & Q(applicant__eligible_until__lte=warn_until),
                    then=Value(1),
                ),
                default=Value(0),
                output_field=IntegerField(),
            ),
        )
        .order_by("current_rank", "-start_date", "-pk")
    )


def employment_get_for_employer(*, employer: Employer, pk: int, today: datetime.date) -> Employment:
    """Return one of `employer`'s employments; raise Employment.DoesNotExist otherwise."""
    return employment_list_for_employer(employer=employer, today=today).get(pk=pk)

"""
Read use-cases for the status counts of post lists and the staff's
programme figures (岗位统计). Each function runs a fixed number of queries,
whatever the number of posts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import Avg, Count, Q, QuerySet, Sum

from employers.models import Employer

from .models import Job
from .selectors import job_list_for_staff

if TYPE_CHECKING:
    from mamagang.accounts.models import User


def job_counts_by_status(*, jobs: QuerySet[Job]) -> dict[str, int]:
    """Return {status: count} for every status over `jobs`, in one grouped query."""
    rows = (
        jobs.select_related(None)
        .prefetch_related(None)
        .order_by()
        .values("status")
        .annotate(n=Count("pk"))
    )
    counts = dict.fromkeys(Job.Status.values, 0)
    counts.update({row["status"]: row["n"] for row in rows})
    return counts


@dataclass
class JobFigures:
    """Figures over the published posts in a staff member's scope."""

    published: int = 0
    headcount: int = 0
    school_run_friendly: int = 0
    hourly_min_avg: Decimal | None = None
    hourly_max_avg: Decimal | None = None
    # Each a list of {"label", "count"} rows, largest first where not a fixed order.
    by_post_mode: list[dict[str, Any]] = field(default_factory=list)
    by_employment_form: list[dict[str, Any]] = field(default_factory=list)
    by_sector: list[dict[str, Any]] = field(default_factory=list)
    by_district: list[dict[str, Any]] = field(default_factory=list)

    @property
    def school_run_share(self) -> Decimal | None:
        if not self.published:
            return None
        return (Decimal(100) * self.school_run_friendly / self.published).quantize(Decimal("0.1"))


def job_figures_for_staff(*, user: User) -> JobFigures:
    """
    Return the programme figures over the published posts in `user`'s scope:
    counts by post mode, employment form (fixed choices: conditional counts
    in one aggregate, with totals, headcount, school-run share and average
    hourly equivalents), by sector and by district (one grouped query each).
    Three queries, plus what the scope lookup costs.
    """
    published = (
        job_list_for_staff(user=user)
        .select_related(None)
        .prefetch_related(None)
        .order_by()
        .filter(status=Job.Status.PUBLISHED)
    )
    aggregates: dict[str, Any] = {
        "published": Count("pk"),
        "headcount": Sum("headcount"),
        "school_run_friendly": Count("pk", filter=Q(school_run_friendly=True)),
        "hourly_min_avg": Avg("hourly_min"),
        "hourly_max_avg": Avg("hourly_max"),
    }
    for mode in Job.PostMode.values:
        aggregates[f"mode_{mode}"] = Count("pk", filter=Q(post_modes__contains=[mode]))
    for form in Job.EmploymentForm.values:
        aggregates[f"form_{form}"] = Count("pk", filter=Q(employment_form=form))
    totals = published.aggregate(**aggregates)

    def _money(value: Any) -> Decimal | None:
        return None if value is None else Decimal(value).quantize(Decimal("0.01"))

    sector_labels = dict(Employer.Sector.choices)
    sectors = published.values("sector").annotate(n=Count("pk")).order_by("-n", "sector")
    districts = (
        published.values("district__code", "district__name")
        .annotate(n=Count("pk"))
        .order_by("-n", "district__code")
    )
    return JobFigures(
        published=totals["published"],
        headcount=totals["headcount"] or 0,
        school_run_friendly=totals["school_run_friendly"],
        hourly_min_avg=_money(totals["hourly_min_avg"]),
        hourly_max_avg=_money(totals["hourly_max_avg"]),
        by_post_mode=[
            {"label": label, "count": totals[f"mode_{value}"]}
            for value, label in Job.PostMode.choices
        ],
        by_employment_form=[
            {"label": label, "count": totals[f"form_{value}"]}
            for value, label in Job.EmploymentForm.choices
        ],
        by_sector=[
            {"label": sector_labels.get(row["sector"], row["sector"]), "count": row["n"]}
            for row in sectors
        ],
        by_district=[
            {"label": row["district__name"], "code": row["district__code"], "count": row["n"]}
            for row in districts
        ],
    )

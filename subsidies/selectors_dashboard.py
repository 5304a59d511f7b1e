"""
Read use-cases of the bureau's subsidy dashboard (补贴统计): headline
figures and spending by claimed month, by subsidy type and by district,
over the claim lines in the user's regions.

Every figure starts from claim_line_list_for_staff, so a line whose claim
lies outside the user's regions never counts. Each function aggregates in
SQL and runs a fixed number of queries, whatever the number of lines.

"Spending" means lines approved (已审核通过, not yet paid) or paid (已发放);
open and rejected lines carry no money here. The district of a line is its
employer's district (Employer.district); a person's own claim (灵活就业) has
no employer and falls back to the claim's region (her residence district).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import CharField, Count, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from mamagang.accounts.selectors import region_list_for_user
from mamagang.regions.models import Region
from mamagang.regions.selectors import region_code_prefix

from .engine import add_months
from .models import ClaimLine, SubsidyType
from .selectors_staff import claim_line_list_for_staff

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from mamagang.accounts.models import User

Status = ClaimLine.Status
SUPPORTED = (Status.APPROVED, Status.PAID)
ZERO = Decimal("0.00")
# The longest period one page aggregates (the month chart has one bar a month).
MAX_PERIOD_MONTHS = 36


@dataclass(frozen=True)
class Headline:
    """The figures at the top of the dashboard."""

    paid: Decimal = ZERO
    approved_unpaid: Decimal = ZERO
    people: int = 0
    employers: int = 0
    pending: int = 0


@dataclass(frozen=True)
class SpendingRow:
    """One row of a spending table: a month, a subsidy type or a district."""

    key: str
    label: str
    paid: Decimal = ZERO
    approved_unpaid: Decimal = ZERO
    people: int = 0
    employers: int = 0
    month: datetime.date | None = None

    @property
    def total(self) -> Decimal:
        return self.paid + self.approved_unpaid


@dataclass(frozen=True)
class Dashboard:
    """Everything the dashboard shows for one set of filters."""

    month_from: datetime.date
    month_to: datetime.date
    headline: Headline
    by_month: list[SpendingRow] = field(default_factory=list)
    by_type: list[SpendingRow] = field(default_factory=list)
    by_district: list[SpendingRow] = field(default_factory=list)


def dashboard_default_period(*, today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """Return the last 12 claimed months up to `today`'s month (first days)."""
    month_to = today.replace(day=1)
    return add_months(month_to, -11), month_to


def dashboard_months(month_from: datetime.date, month_to: datetime.date) -> list[datetime.date]:
    """Return the first days of every month from `month_from` to `month_to`, inclusive."""
    months = []
    month = month_from.replace(day=1)
    while month <= month_to:
        months.append(month)
        month = add_months(month, 1)
    return months


def dashboard_district_choice_list(*, user: User | AnonymousUser) -> QuerySet[Region]:
    """
    Return the current cities and districts that `user` may act on (her
    scoped regions and those below them), with parents, for the district
    filter. Choosing a city covers all its districts.
    """
    return (
        region_list_for_user(user=user)
        .current()
        .filter(level__in=[Region.Level.CITY, Region.Level.DISTRICT])
        .select_related("parent")
        .order_by("code")
    )


def _district_code() -> Coalesce:
    return Coalesce("employer__district__code", "claim__region__code", output_field=CharField())


def _district_name() -> Coalesce:
    return Coalesce("employer__district__name", "claim__region__name", output_field=CharField())


def dashboard_line_list_for_staff(
    *,
    user: User | AnonymousUser,
    month_from: datetime.date,
    month_to: datetime.date,
    subsidy_type: SubsidyType | None = None,
    district: Region | None = None,
) -> QuerySet[ClaimLine]:
    """
    Return the claim lines in `user`'s regions whose claimed month lies in
    [`month_from`, `month_to`], of `subsidy_type` and in `district` (and the
    districts below it) when given, without ordering, ready to aggregate.

    `district` is trusted to be one of dashboard_district_choice_list; even
    if not, the user's scope still applies, so it can only narrow.
    """
    lines = (
        claim_line_list_for_staff(user=user)
        .order_by()
        .filter(month__gte=month_from.replace(day=1), month__lte=month_to.replace(day=1))
    )
    if subsidy_type is not None:
        lines = lines.filter(subsidy_type=subsidy_type)
    if district is not None:
        lines = lines.annotate(district_code=_district_code()).filter(
            district_code__startswith=region_code_prefix(district)
        )
    return lines


def _spending() -> dict:
    supported = Q(status__in=SUPPORTED)
    return {
        "paid_sum": Sum("amount", filter=Q(status=Status.PAID), default=ZERO),
        "approved_sum": Sum("amount", filter=Q(status=Status.APPROVED), default=ZERO),
        "people": Count("applicant", filter=supported, distinct=True),
        "employers": Count("employer", filter=supported, distinct=True),
    }


def dashboard_headline(lines: QuerySet[ClaimLine]) -> Headline:
    """
    Return the headline figures of `lines` in one query: amounts paid and
    approved but not yet paid, people and employers with an approved or
    paid line (each counted once), and lines awaiting review.
    """
    row = lines.aggregate(**_spending(), pending=Count("pk", filter=Q(status=Status.OPEN)))
    return Headline(
        paid=row["paid_sum"],
        approved_unpaid=row["approved_sum"],
        people=row["people"],
        employers=row["employers"],
        pending=row["pending"],
    )


def dashboard_spending_by_month(
    lines: QuerySet[ClaimLine], *, month_from: datetime.date, month_to: datetime.date
) -> list[SpendingRow]:
    """
    Return one row per claimed month from `month_from` to `month_to` (months
    without money included, as zeros), from one grouped query.
    """
    rows = lines.filter(status__in=SUPPORTED).values("month").annotate(**_spending()).order_by()
    found = {row["month"]: row for row in rows}
    result = []
    for month in dashboard_months(month_from, month_to):
        row = found.get(month)
        result.append(
            SpendingRow(
                key=f"{month:%Y-%m}",
                label=f"{month:%Y-%m}",
                month=month,
                **(_amounts(row) if row else {}),
            )
        )
    return result


def dashboard_spending_by_type(lines: QuerySet[ClaimLine]) -> list[SpendingRow]:
    """Return one row per subsidy type with money, largest first, from one query."""
    rows = (
        lines.filter(status__in=SUPPORTED)
        .values("subsidy_type__code", "subsidy_type__name")
        .annotate(**_spending())
        .order_by()
    )
    result = [
        SpendingRow(key=row["subsidy_type__code"], label=row["subsidy_type__name"], **_amounts(row))
        for row in rows
    ]
    return sorted(result, key=lambda r: (-r.total, r.key))


def dashboard_spending_by_district(lines: QuerySet[ClaimLine]) -> list[SpendingRow]:
    """
    Return one row per district with money, in code order, from one query.
    The district is the employer's, else the claim's region (see the module
    docstring).
    """
    rows = (
        lines.filter(status__in=SUPPORTED)
        .annotate(district_key=_district_code(), district_label=_district_name())
        .values("district_key", "district_label")
        .annotate(**_spending())
        .order_by("district_key")
    )
    return [
        SpendingRow(key=row["district_key"], label=row["district_label"], **_amounts(row))
        for row in rows
    ]


def _amounts(row: dict) -> dict:
    return {
        "paid": row["paid_sum"],
        "approved_unpaid": row["approved_sum"],
        "people": row["people"],
        "employers": row["employers"],
    }


def dashboard_for_staff(
    *,
    user: User | AnonymousUser,
    month_from: datetime.date,
    month_to: datetime.date,
    subsidy_type: SubsidyType | None = None,
    district: Region | None = None,
) -> Dashboard:
    """
    Return the dashboard of the lines in `user`'s regions for a period of
    claimed months, optionally one subsidy type and one district, in four
    aggregate queries (plus the scope look-up, cached on the user).
    """
    lines = dashboard_line_list_for_staff(
        user=user,
        month_from=month_from,
        month_to=month_to,
        subsidy_type=subsidy_type,
        district=district,
    )
    return Dashboard(
        month_from=month_from,
        month_to=month_to,
        headline=dashboard_headline(lines),
        by_month=dashboard_spending_by_month(lines, month_from=month_from, month_to=month_to),
        by_type=dashboard_spending_by_type(lines),
        by_district=dashboard_spending_by_district(lines),
    )

"""
Reads of employment bases (就业基地) and their awards: the staff list in the
user's regions with each year's cap and how much of it is taken (one query),
one base with its awards, an employer's own bases, and the public list of
bases in force.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import (
    DecimalField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.http import Http404

from mamagang.accounts.selectors import region_prefixes_for_user
from mamagang.regions.models import Region
from mamagang.regions.selectors import region_code_prefix

from .models import BaseAward, EmploymentBase, RateRow
from .selectors_staff import _scope_q
from .services.bases import BASE_AWARD

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from employers.models import Employer
    from mamagang.accounts.models import User

MONEY = DecimalField(max_digits=14, decimal_places=2)
ZERO = Value(Decimal("0.00"), output_field=MONEY)


def _cap_subquery() -> Subquery:
    """The cap of the base's year of recognition (a row for that year wins)."""
    rows = RateRow.objects.filter(
        Q(recognition_year=OuterRef("year")) | Q(recognition_year__isnull=True),
        Q(valid_until__isnull=True) | Q(valid_until__gt=OuterRef("valid_from")),
        policy__region_id=OuterRef("region_id"),
        policy__subsidy_type__code=BASE_AWARD,
        policy__active=True,
        valid_from__lte=OuterRef("valid_from"),
    ).order_by("recognition_year")
    return Subquery(rows.values("amount")[:1], output_field=MONEY)


def _with_figures(qs: QuerySet[EmploymentBase]) -> QuerySet[EmploymentBase]:
    live = ~Q(awards__status=BaseAward.Status.REJECTED)
    return qs.select_related("employer", "employer__district", "region").annotate(
        cap=_cap_subquery(),
        awarded=Coalesce(Sum("awards__amount", filter=live), ZERO),
        paid=Coalesce(Sum("awards__amount", filter=Q(awards__status="paid")), ZERO),
    )


def base_list_for_staff(*, user: User | AnonymousUser) -> QuerySet[EmploymentBase]:
    """Bases of employers in `user`'s regions, or recognised by one of her regions."""
    prefixes = region_prefixes_for_user(user=user)
    if not prefixes:
        return EmploymentBase.objects.none()
    scope = _scope_q(prefixes, "employer__district__code") | _scope_q(prefixes, "region__code")
    return _with_figures(EmploymentBase.objects.filter(scope)).order_by("-valid_from", "-pk")


def base_filter(
    qs: QuerySet[EmploymentBase],
    *,
    level: str = "",
    status: str = "",
    in_force_on: datetime.date | None = None,
    q: str = "",
) -> QuerySet[EmploymentBase]:
    if level:
        qs = qs.filter(level=level)
    if status:
        qs = qs.filter(status=status)
    if in_force_on:
        qs = qs.filter(valid_from__lte=in_force_on, valid_until__gt=in_force_on)
    if q:
        qs = qs.filter(Q(employer__name__contains=q) | Q(employer__uscc=q.upper()))
    return qs


def base_get_for_staff(*, user: User | AnonymousUser, pk: int) -> EmploymentBase:
    base = base_list_for_staff(user=user).filter(pk=pk).first()
    if base is None:
        raise Http404
    return base


def base_awards(*, base: EmploymentBase) -> QuerySet[BaseAward]:
    return base.awards.select_related("proposed_by", "decided_by", "paid_by", "rate_row").order_by(
        "created_at", "pk"
    )


def base_award_get_for_staff(*, user: User | AnonymousUser, pk: int) -> BaseAward:
    award = (
        BaseAward.objects.select_related("base")
        .filter(pk=pk, base__in=base_list_for_staff(user=user).values("pk"))
        .first()
    )
    if award is None:
        raise Http404
    return award


def base_history(*, base: EmploymentBase) -> QuerySet[EmploymentBase]:
    """Every recognition of the same employer by the same region, newest first."""
    return _with_figures(
        EmploymentBase.objects.filter(employer_id=base.employer_id, region_id=base.region_id)
    ).order_by("-valid_from")


def base_list_for_employer(*, employer: Employer) -> QuerySet[EmploymentBase]:
    return _with_figures(EmploymentBase.objects.filter(employer=employer)).order_by("-valid_from")


def base_list_public(*, today: datetime.date, region_code: str = "") -> QuerySet[EmploymentBase]:
    """Bases in force today, optionally of employers in one region (recognitions are public)."""
    qs = EmploymentBase.objects.filter(
        status=EmploymentBase.Status.ACTIVE, valid_from__lte=today, valid_until__gt=today
    )
    if region_code:
        region = Region.objects.filter(code=region_code).first()
        prefix = region_code_prefix(region) if region else "-"
        qs = qs.filter(employer__district__code__startswith=prefix)
    return qs.select_related("employer", "employer__district", "region").order_by(
        "region__code", "employer__name"
    )

"""
Read use-cases of the bureau's policy pages: the subsidy policies a user may
see (her regions and, read-only, the regions above them: the city policy
that applies to her district), those she may edit (her regions only), one
policy's rate rows with how often each was used in decisions, and the audit
history of a policy and its rows. Each function runs a fixed number of
queries, whatever the number of rows.
"""

from __future__ import annotations

import datetime
from functools import reduce
from operator import or_
from typing import TYPE_CHECKING

from django.db.models import (
    Count,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce

from mamagang.accounts.selectors import region_prefixes_for_user
from mamagang.core.models import AuditEvent
from mamagang.regions.models import Region
from mamagang.regions.selectors import region_code_prefix, region_scope_q, region_view_q

from .models import BaseAward, ClaimLine, DecisionRecord, RateRow, SubsidyPolicy, SubsidyType

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from mamagang.accounts.models import User

POLICY_OBJECT_TYPE = SubsidyPolicy._meta.label_lower
RATE_OBJECT_TYPE = RateRow._meta.label_lower
# The history shows at most this many events (newest first).
HISTORY_LIMIT = 200


def subsidy_policy_view_q(*, user: User | AnonymousUser, field: str = "region") -> Q | None:
    """
    Return a Q selecting the policies `user` may view, or None for none
    (`field` is the path to the policy's region: "policy__region" for runs).

    She sees the policies of her regions and of the regions above them
    (read-only there): a district's staff must know the city policy that
    applies to her district when the district has none of its own, and
    follow the runs that decide her district's lines.
    """
    prefixes = region_prefixes_for_user(user=user)
    if not prefixes:
        return None
    if "" in prefixes:
        return Q()
    return region_view_q(prefixes, f"{field}__code")


def subsidy_policy_list_for_staff(
    *, user: User | AnonymousUser, today: datetime.date
) -> QuerySet[SubsidyPolicy]:
    """
    Return the policies `user` may view, by region code and type, with the
    region (and its parent), the type, the number of rate rows and the rows
    in force on `today` (`rates_today`, several for employment-base awards:
    one per recognition year) loaded.
    """
    scope = subsidy_policy_view_q(user=user)
    if scope is None:
        return SubsidyPolicy.objects.none()
    in_force = RateRow.objects.filter(
        Q(valid_until__isnull=True) | Q(valid_until__gt=today), valid_from__lte=today
    ).order_by("recognition_year", "valid_from")
    return (
        SubsidyPolicy.objects.filter(scope)
        .select_related("region", "region__parent", "subsidy_type")
        .annotate(rate_count=Count("rates"))
        .prefetch_related(Prefetch("rates", queryset=in_force, to_attr="rates_today"))
        .order_by("region__code", "subsidy_type__code", "pk")
    )


def subsidy_policy_filter(
    policies: QuerySet[SubsidyPolicy],
    *,
    subsidy_type: SubsidyType | None = None,
    region: Region | None = None,
    active: bool | None = None,
) -> QuerySet[SubsidyPolicy]:
    """
    Narrow `policies` by type, region and active flag (None: any). A city
    also matches its districts' policies.
    """
    if subsidy_type is not None:
        policies = policies.filter(subsidy_type=subsidy_type)
    if region is not None:
        if region.level in (Region.Level.PROVINCE, Region.Level.CITY):
            policies = policies.filter(region__code__startswith=region_code_prefix(region))
        else:
            policies = policies.filter(region=region)
    if active is not None:
        policies = policies.filter(active=active)
    return policies


def subsidy_policy_region_list(policies: QuerySet[SubsidyPolicy]) -> QuerySet[Region]:
    """Return the regions that have one of `policies`, by code (the region filter's choices)."""
    return (
        Region.objects.filter(pk__in=policies.order_by().values("region_id"))
        .select_related("parent")
        .order_by("code")
    )


def subsidy_policy_get_for_viewer(*, user: User | AnonymousUser, pk: int) -> SubsidyPolicy:
    """
    Return the policy `pk` if `user` may view it, with region and type.

    Raise SubsidyPolicy.DoesNotExist otherwise (the page answers 404).
    """
    scope = subsidy_policy_view_q(user=user)
    if scope is None:
        raise SubsidyPolicy.DoesNotExist
    return (
        SubsidyPolicy.objects.filter(scope)
        .select_related("region", "region__parent", "subsidy_type")
        .get(pk=pk)
    )


def subsidy_policy_get_for_editor(*, user: User | AnonymousUser, pk: int) -> SubsidyPolicy:
    """
    Return the policy `pk` if its region lies in `user`'s regions.

    Raise SubsidyPolicy.DoesNotExist otherwise, also for a policy of a
    region above hers that she may only view.
    """
    prefixes = region_prefixes_for_user(user=user)
    if not prefixes:
        raise SubsidyPolicy.DoesNotExist
    return (
        SubsidyPolicy.objects.filter(region_scope_q(prefixes))
        .select_related("region", "region__parent", "subsidy_type")
        .get(pk=pk)
    )


def rate_row_get_for_editor(*, user: User | AnonymousUser, pk: int) -> RateRow:
    """
    Return the rate row `pk` if its policy's region lies in `user`'s regions,
    with the policy, its region and type loaded and its use annotated.

    Raise RateRow.DoesNotExist otherwise.
    """
    prefixes = region_prefixes_for_user(user=user)
    if not prefixes:
        raise RateRow.DoesNotExist
    scope = (
        Q()
        if "" in prefixes
        else reduce(or_, (Q(policy__region__code__startswith=p) for p in prefixes))
    )
    return (
        _with_use(RateRow.objects.filter(scope))
        .select_related("policy", "policy__region", "policy__subsidy_type")
        .get(pk=pk)
    )


def _count(rows: QuerySet) -> Subquery:
    # SELECT COUNT(*) without GROUP BY: one number per outer row.
    return Subquery(
        rows.order_by().values(n=Func(F("pk"), function="COUNT")), output_field=IntegerField()
    )


def _with_use(rows: QuerySet[RateRow]) -> QuerySet[RateRow]:
    """
    Annotate `used_lines` (claim lines decided with the row, now or in an
    earlier decision), `used_awards` (employment-base awards) and
    `used_in_decisions` (a decision record names it).
    """
    earlier = DecisionRecord.objects.filter(rate_row=OuterRef(OuterRef("pk"))).values("line_id")
    lines = ClaimLine.objects.filter(Q(rate_row=OuterRef("pk")) | Q(pk__in=earlier))
    return rows.annotate(
        used_lines=Coalesce(_count(lines), 0),
        used_awards=Coalesce(_count(BaseAward.objects.filter(rate_row=OuterRef("pk"))), 0),
        used_in_decisions=Exists(DecisionRecord.objects.filter(rate_row=OuterRef("pk"))),
    )


def rate_row_list_for_policy(*, policy: SubsidyPolicy) -> QuerySet[RateRow]:
    """
    Return `policy`'s rate rows by recognition year and start date, each
    with its use annotated (see _with_use).
    """
    return _with_use(RateRow.objects.filter(policy=policy)).order_by(
        "recognition_year", "valid_from", "pk"
    )


def subsidy_policy_history(
    *, policy: SubsidyPolicy, rate_ids: list[int], limit: int = HISTORY_LIMIT
) -> list[AuditEvent]:
    """
    Return the audit events of `policy` and its rate rows, newest first,
    with the actor loaded. Rows deleted in the admin are found by the policy
    their snapshot names.
    """
    rate_q = Q(object_id__in=[str(pk) for pk in rate_ids]) | Q(after__policy=policy.pk)
    rate_q |= Q(before__policy=policy.pk)
    events = AuditEvent.objects.filter(
        Q(object_type=POLICY_OBJECT_TYPE, object_id=str(policy.pk))
        | (Q(object_type=RATE_OBJECT_TYPE) & rate_q)
    )
    return list(events.select_related("actor").order_by("-occurred_at", "-pk")[:limit])


def region_list_for_policy_editor(*, user: User | AnonymousUser) -> QuerySet[Region]:
    """
    Return the current provinces, cities and districts in `user`'s regions,
    by code: the regions she may create a policy for (a province only for
    employment-base awards, which services.policies checks).
    """
    prefixes = region_prefixes_for_user(user=user)
    if not prefixes:
        return Region.objects.none()
    scope = Q() if "" in prefixes else reduce(or_, (Q(code__startswith=p) for p in prefixes))
    return (
        Region.objects.current()
        .filter(scope, level__in=[Region.Level.PROVINCE, Region.Level.CITY, Region.Level.DISTRICT])
        .select_related("parent")
        .order_by("code")
    )

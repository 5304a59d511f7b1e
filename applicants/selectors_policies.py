"""
Read use-cases of the bureau's eligibility policy pages (资格政策): the rows a
user may see (her regions and, read-only, the province and city above them,
whose rows apply to her districts when they have none of their own), those
she may edit (her regions only), the regions she may create a row for, and
the audit history of a row. Each function runs a fixed number of queries,
whatever the number of rows.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, QuerySet, Value

from mamagang.accounts.selectors import region_prefixes_for_user
from mamagang.core.models import AuditEvent
from mamagang.regions.models import Region
from mamagang.regions.selectors import region_scope_q, region_view_q

from .models import EligibilityPolicy
from .services.eligibility_policies import POLICY_REGION_LEVELS

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from mamagang.accounts.models import User

POLICY_OBJECT_TYPE = EligibilityPolicy._meta.label_lower
CHANGE_PERMISSION = "applicants.change_eligibilitypolicy"
# The history shows at most this many events (newest first).
HISTORY_LIMIT = 200


def eligibility_policy_list_for_staff(
    *, user: User | AnonymousUser, today: datetime.date
) -> QuerySet[EligibilityPolicy]:
    """
    Return the rows `user` may view, by region code and newest start first,
    with the region (and its parent) and the creator loaded, and annotated:

    - `editable`: the row's region lies in her regions and she may change rows;
    - `superseded`: a later row of the same region has started by `today`.
    """
    prefixes = region_prefixes_for_user(user=user)
    if not prefixes:
        return EligibilityPolicy.objects.none()
    if user.has_perm(CHANGE_PERMISSION):
        in_scope = region_scope_q(prefixes)
        editable = Value(True) if not in_scope else ExpressionWrapper(in_scope, BooleanField())
    else:
        editable = Value(False)
    later = EligibilityPolicy.objects.filter(
        region=OuterRef("region"), valid_from__gt=OuterRef("valid_from"), valid_from__lte=today
    )
    return (
        EligibilityPolicy.objects.filter(region_view_q(prefixes))
        .select_related("region", "region__parent", "created_by")
        .annotate(editable=editable, superseded=Exists(later))
        .order_by("region__code", "-valid_from", "pk")
    )


def eligibility_policy_get_for_viewer(*, user: User | AnonymousUser, pk: int) -> EligibilityPolicy:
    """
    Return the row `pk` if `user` may view it, with its region and creator.

    Raise EligibilityPolicy.DoesNotExist otherwise (the page answers 404).
    """
    prefixes = region_prefixes_for_user(user=user)
    if not prefixes:
        raise EligibilityPolicy.DoesNotExist
    return (
        EligibilityPolicy.objects.filter(region_view_q(prefixes))
        .select_related("region", "region__parent", "created_by")
        .get(pk=pk)
    )


def eligibility_policy_get_for_editor(*, user: User | AnonymousUser, pk: int) -> EligibilityPolicy:
    """
    Return the row `pk` if its region lies in `user`'s regions.

    Raise EligibilityPolicy.DoesNotExist otherwise, also for a row of a
    region above hers that she may only view.
    """
    prefixes = region_prefixes_for_user(user=user)
    if not prefixes:
        raise EligibilityPolicy.DoesNotExist
    return (
        EligibilityPolicy.objects.filter(region_scope_q(prefixes))
        .select_related("region", "region__parent")
        .get(pk=pk)
    )


def eligibility_policy_is_superseded(*, policy: EligibilityPolicy, today: datetime.date) -> bool:
    """Return True if a later row of `policy`'s region has started by `today`."""
    return EligibilityPolicy.objects.filter(
        region_id=policy.region_id, valid_from__gt=policy.valid_from, valid_from__lte=today
    ).exists()


def eligibility_policy_history(
    *, policy: EligibilityPolicy, limit: int = HISTORY_LIMIT
) -> list[AuditEvent]:
    """Return the audit events of `policy` (pages and admin), newest first, with the actor."""
    events = AuditEvent.objects.filter(object_type=POLICY_OBJECT_TYPE, object_id=str(policy.pk))
    return list(events.select_related("actor").order_by("-occurred_at", "-pk")[:limit])


def region_list_for_eligibility_policy_editor(*, user: User | AnonymousUser) -> QuerySet[Region]:
    """
    Return the current provinces, cities and districts in `user`'s regions,
    by code: the regions she may create an eligibility policy for.
    """
    prefixes = region_prefixes_for_user(user=user)
    if not prefixes:
        return Region.objects.none()
    return (
        Region.objects.current()
        .filter(
            region_scope_q(prefixes, field="code"),
            level__in=POLICY_REGION_LEVELS,
        )
        .select_related("parent")
        .order_by("code")
    )

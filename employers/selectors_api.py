"""
Read use-cases the REST API needs beyond `selectors.py`: published registry
editions, an employer's listing history, and member lists with the member's
own role.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Func, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.fields.json import KeyTransform

from .models import EmployerMembership, ListingPeriod, RegistryEdition
from .selectors import employer_list_for_member

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from mamagang.accounts.models import User

    from .models import Employer


def employer_list_for_member_with_role(*, user: User | AnonymousUser) -> QuerySet[Employer]:
    """
    Return the employers `user` belongs to, as `employer_list_for_member`,
    each annotated with `member_role`: the user's role there.
    """
    if not user.is_authenticated:
        return employer_list_for_member(user=user)
    role = EmployerMembership.objects.filter(employer=OuterRef("pk"), user=user).values("role")
    return employer_list_for_member(user=user).annotate(member_role=Subquery(role[:1]))


def listing_period_list_for_employer(*, employer: Employer) -> QuerySet[ListingPeriod]:
    """Return every listing period of `employer`, oldest first."""
    return ListingPeriod.objects.filter(employer=employer).order_by("listed_from", "pk")


def _diff_length(key: str) -> Func:
    # The diff is {"added": [...], "removed": [...], "changed": [...]}
    # (services/editions.py); counting in the database spares loading it.
    return Func(
        KeyTransform(key, "diff"), function="jsonb_array_length", output_field=IntegerField()
    )


def _with_diff_counts(editions: QuerySet[RegistryEdition]) -> QuerySet[RegistryEdition]:
    return editions.annotate(
        added_count=_diff_length("added"),
        removed_count=_diff_length("removed"),
        changed_count=_diff_length("changed"),
    )


def registry_edition_list_public() -> QuerySet[RegistryEdition]:
    """
    Return the published editions, newest first, with the region and
    `added_count`, `removed_count`, `changed_count`, but without content or
    diff: lists only show counts, and a city's content is large.
    """
    return _with_diff_counts(
        RegistryEdition.objects.select_related("region")
        .defer("content", "diff")
        .order_by("-published_at", "-pk")
    )


def registry_edition_get_public(*, region_code: str, number: int) -> RegistryEdition:
    """
    Return edition `number` of the region with `region_code`, with content,
    diff and the counts of `registry_edition_list_public`; raise
    RegistryEdition.DoesNotExist otherwise.
    """
    return _with_diff_counts(RegistryEdition.objects.select_related("region")).get(
        region__code=region_code, number=number
    )

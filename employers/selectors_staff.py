"""Read use-cases of the staff registry workspace that the shared selectors lack."""

from __future__ import annotations

from functools import reduce
from operator import or_

from django.contrib.auth.models import Permission
from django.db.models import Case, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When

from mamagang.accounts.models import User
from mamagang.accounts.selectors import region_list_for_user
from mamagang.regions.models import Region
from mamagang.regions.selectors import CODE_PREFIX_LENGTH

from .models import Employer, RegistryEntry
from .selectors import employer_list_for_staff

# Levels whose scope can cover a whole district (a street scope cannot).
_COVERING_LEVELS = (Region.Level.PROVINCE, Region.Level.CITY, Region.Level.DISTRICT)


def specialist_candidate_list(*, district: Region) -> QuerySet[User]:
    """
    Return the active bureau users who may serve as employment-service
    specialist in `district`: they hold `accounts.use_staff_workspace` (through
    a group or directly) and one of their region scopes covers the district.
    One query.
    """
    # A scope region covers the district when the district's code starts
    # with the scope's prefix (mamagang.regions.selectors.region_code_prefix);
    # for a prefix of length n that is the scope's code starting with the
    # district's first n digits.
    covers = reduce(
        or_,
        (
            Q(
                region_scopes__region__level=level,
                region_scopes__region__code__startswith=district.code[: CODE_PREFIX_LENGTH[level]],
            )
            for level in _COVERING_LEVELS
        ),
    )
    staff_permission = Permission.objects.filter(
        content_type__app_label="accounts", codename="use_staff_workspace"
    )
    return (
        User.objects.filter(is_active=True)
        .filter(
            Q(groups__permissions__in=staff_permission) | Q(user_permissions__in=staff_permission)
        )
        .filter(covers)
        .distinct()
        .order_by("display_name", "pk")
    )


def publishable_region_list_for_user(*, user: User) -> QuerySet[Region]:
    """Return the current cities and districts in `user`'s scope, by code."""
    return (
        region_list_for_user(user=user)
        .current()
        .filter(level__in=[Region.Level.CITY, Region.Level.DISTRICT])
        .select_related("parent")
        .order_by("code")
    )


def district_choice_list_for_user(*, user: User) -> QuerySet[Region]:
    """Return the current districts in `user`'s scope, for filter selects."""
    return (
        region_list_for_user(user=user)
        .current()
        .filter(level=Region.Level.DISTRICT)
        .select_related("parent")
        .order_by("code")
    )


def employer_list_with_entry_for_staff(*, user: User) -> QuerySet[Employer]:
    """
    Return the employers in `user`'s regions, each annotated with its current
    registry entry (`current_entry_id`, `current_entry_status`): the live one,
    or else the newest rejected one; both None when it never applied.
    """
    current = RegistryEntry.objects.filter(employer=OuterRef("pk")).order_by(
        # The live entry first (at most one, by constraint), then the newest rejected one.
        Case(
            When(status=RegistryEntry.Status.REJECTED, then=Value(1)),
            default=Value(0),
            output_field=IntegerField(),
        ),
        "-created_at",
        "-pk",
    )
    return employer_list_for_staff(user=user).annotate(
        current_entry_id=Subquery(current.values("pk")[:1]),
        current_entry_status=Subquery(current.values("status")[:1]),
    )

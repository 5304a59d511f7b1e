"""Read use-cases for accounts: above all, which regions a user may act on."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Count, QuerySet

from mamagang.regions.models import Region
from mamagang.regions.selectors import region_code_prefix, region_list_within

from .models import StaffRegionScope

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from .models import User

STAFF_PERMISSION = "accounts.use_staff_workspace"


def region_prefixes_for_user(*, user: User | AnonymousUser) -> list[str]:
    """
    Return the region-code prefixes `user` may act on, most general first.

    Filter any table with a region code by `code__startswith` one of these
    (one indexed query). A superuser gets `[""]`, which matches every code;
    anyone without the staff permission gets `[]`, which matches nothing.
    """
    if not user.is_authenticated or not user.is_active:
        return []
    if user.is_superuser:
        return [""]
    if not user.has_perm(STAFF_PERMISSION):
        return []
    cache_attr = "_region_prefixes_cache"
    cached = getattr(user, cache_attr, None)
    if cached is None:
        regions = Region.objects.filter(pk__in=user.region_scopes.values("region_id"))
        prefixes = sorted({region_code_prefix(region) for region in regions}, key=len)
        # Drop prefixes already covered by a more general one (city covers its districts).
        cached = [
            p for i, p in enumerate(prefixes) if not any(p.startswith(q) for q in prefixes[:i])
        ]
        setattr(user, cache_attr, cached)
    return cached


def region_list_for_user(*, user: User | AnonymousUser) -> QuerySet[Region]:
    """Return every region (at any level) that `user` may act on."""
    prefixes = region_prefixes_for_user(user=user)
    if not prefixes:
        return Region.objects.none()
    return region_list_within(prefixes=prefixes)


def user_may_act_on_region(*, user: User | AnonymousUser, region_code: str) -> bool:
    """Return True if `user` may act on the region with `region_code`."""
    return any(region_code.startswith(p) for p in region_prefixes_for_user(user=user))


def staff_scope_list_for_user(*, user: User) -> QuerySet[StaffRegionScope]:
    """Return `user`'s region scopes with their regions and parents loaded."""
    return (
        StaffRegionScope.objects.filter(user=user)
        .select_related("region", "region__parent")
        .order_by("region__code")
    )


def district_list_for_user(*, user: User | AnonymousUser) -> QuerySet[Region]:
    """Return the districts `user` may act on, each with its number of streets."""
    return (
        region_list_for_user(user=user)
        .filter(level=Region.Level.DISTRICT)
        .select_related("parent")
        .annotate(street_count=Count("children"))
        .order_by("code")
    )

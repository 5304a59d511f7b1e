"""Read use-cases for administrative divisions."""

from __future__ import annotations

from functools import reduce
from operator import or_

from django.db.models import Exists, OuterRef, Q, QuerySet

from .models import Region

# Digits of the code shared by a region and everything below it. A city's
# districts share its first 4 digits (4403 → 440306); a county's streets its
# 6 (440306 → 440306017). Cities without districts (东莞 441900) keep their
# streets under the 4-digit prefix too.
CODE_PREFIX_LENGTH: dict[str, int] = {
    Region.Level.PROVINCE: 2,
    Region.Level.CITY: 4,
    Region.Level.DISTRICT: 6,
    Region.Level.STREET: 9,
}


def region_code_prefix(region: Region) -> str:
    """
    Return the code prefix that covers `region` and every region below it:
    2 digits for a province, 4 for a city, the whole code otherwise.
    """
    return region.code[: CODE_PREFIX_LENGTH[region.level]]


def region_list_within(*, prefixes: list[str]) -> QuerySet[Region]:
    """
    Return all regions, current or retired, whose code starts with any of
    `prefixes`, in one query. An empty list matches nothing; the prefix ""
    matches everything. Chain `.current()` to drop retired codes.
    """
    if not prefixes:
        return Region.objects.none()
    if "" in prefixes:
        return Region.objects.all()
    return Region.objects.filter(reduce(or_, (Q(code__startswith=p) for p in set(prefixes))))


def region_scope_q(prefixes: list[str], field: str = "region__code") -> Q:
    """
    Return a Q matching rows whose region code (`field`) starts with any of
    `prefixes` (a user's scope prefixes; "" matches everything).
    """
    if "" in prefixes:
        return Q()
    return reduce(or_, (Q(**{f"{field}__startswith": p}) for p in prefixes))


def region_ancestor_codes(prefixes: list[str]) -> set[str]:
    """
    Return the codes of the province and city above each scope prefix
    (GB/T 2260 codes nest by digits: district 440306 lies in city 440300
    and province 440000; a city prefix 4403 lies in province 440000).
    """
    codes: set[str] = set()
    for prefix in prefixes:
        if len(prefix) >= 4:
            codes.add(prefix[:2] + "0000")
        if len(prefix) >= 6:
            codes.add(prefix[:4] + "00")
    return codes


def region_view_q(prefixes: list[str], field: str = "region__code") -> Q:
    """
    Return a Q matching rows of a user's regions and of the regions above them
    (a district's staff must see the city's and province's policies that apply).
    """
    if "" in prefixes:
        return Q()
    return region_scope_q(prefixes, field) | Q(
        **{f"{field}__in": sorted(region_ancestor_codes(prefixes))}
    )


def region_is_county_level(region: Region) -> bool:
    """
    Return True if `region` is a county-level unit: a district or county, or
    a city without districts (东莞 441900, 中山 442000, 儋州 460400, 嘉峪关
    620200), whose streets hang directly under the city.
    """
    if region.level == Region.Level.DISTRICT:
        return True
    return (
        region.level == Region.Level.CITY
        and region.parent_id is not None
        and not region.children.filter(level=Region.Level.DISTRICT).exists()
        and region.children.filter(level=Region.Level.STREET).exists()
    )


def county_level_q() -> Q:
    """Return a Q selecting county-level units (see region_is_county_level) in one query."""
    has_district = Region.objects.filter(parent=OuterRef("pk"), level=Region.Level.DISTRICT)
    has_street = Region.objects.filter(parent=OuterRef("pk"), level=Region.Level.STREET)
    return Q(level=Region.Level.DISTRICT) | (
        Q(level=Region.Level.CITY) & ~Exists(has_district) & Exists(has_street)
    )

"""Read use-cases for administrative divisions."""

from __future__ import annotations

from functools import reduce
from operator import or_

from django.db.models import Q, QuerySet

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

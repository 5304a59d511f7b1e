"""Chainable single-model vocabulary for employers and registry entries."""

from __future__ import annotations

import datetime
from functools import reduce
from operator import or_
from typing import Self

from django.db import models
from django.db.models import Q


def _prefix_q(field: str, prefixes: list[str]) -> Q:
    """Return a Q matching rows whose `field` starts with any of `prefixes`."""
    if "" in prefixes:
        return Q()
    if not prefixes:
        return Q(pk__in=[])
    return reduce(or_, (Q(**{f"{field}__startswith": p}) for p in prefixes))


class EmployerQuerySet(models.QuerySet):
    def listed_on(self, day: datetime.date) -> Self:
        """Keep employers with a listing period covering `day`."""
        return self.filter(
            Q(listing_periods__listed_until__isnull=True)
            | Q(listing_periods__listed_until__gt=day),
            listing_periods__listed_from__lte=day,
        ).distinct()

    def listed_now(self) -> Self:
        """Keep employers whose registry entry is approved (currently listed)."""
        return self.filter(registry_entries__status="approved")

    def in_regions(self, prefixes: list[str]) -> Self:
        """Keep employers registered in a district matching any code prefix."""
        return self.filter(_prefix_q("district__code", prefixes))


class RegistryEntryQuerySet(models.QuerySet):
    def awaiting_decision(self) -> Self:
        return self.filter(status="submitted")

    def live(self) -> Self:
        return self.exclude(status="rejected")

    def in_regions(self, prefixes: list[str]) -> Self:
        """Keep entries reviewed by a district matching any code prefix."""
        return self.filter(_prefix_q("district__code", prefixes))

"""Chainable filters over administrative divisions."""

from __future__ import annotations

import datetime
from typing import Self

from django.db import models
from django.db.models import Q
from django.utils import timezone


class RegionQuerySet(models.QuerySet):
    def current(self, on: datetime.date | None = None) -> Self:
        """Keep regions valid on `on` (default: today in the site time zone)."""
        on = on or timezone.localdate()
        return self.filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on), valid_from__lte=on)

    def provinces(self) -> Self:
        return self.filter(level="province")

    def cities(self) -> Self:
        return self.filter(level="city")

    def districts(self) -> Self:
        return self.filter(level="district")

    def streets(self) -> Self:
        return self.filter(level="street")

    def within(self, code_prefix: str) -> Self:
        """Keep regions whose code starts with `code_prefix`."""
        return self.filter(code__startswith=code_prefix)

"""Chainable vocabulary for job posts."""

from __future__ import annotations

import datetime
from typing import Self

from django.db import models


class JobQuerySet(models.QuerySet):
    def public(self, *, today: datetime.date) -> Self:
        """
        Keep posts anyone may see in search: published, not past their end
        date, and of an employer listed in the registry right now (a
        suspended or removed employer's posts leave search at once).
        """
        return self.filter(
            status="published",
            valid_from__lte=today,
            valid_until__gte=today,
            employer__registry_entries__status="approved",
        )

    def of_employer(self, employer_id: int) -> Self:
        return self.filter(employer_id=employer_id)

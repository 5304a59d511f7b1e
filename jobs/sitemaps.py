"""The sitemap: public post pages and the main public pages."""

from __future__ import annotations

import datetime

from django.contrib.sitemaps import Sitemap
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from .models import Job


class JobSitemap(Sitemap):
    changefreq = "daily"
    priority = 0.8

    def items(self) -> QuerySet[Job]:
        return (
            Job.objects.public(today=timezone.localdate())
            .only("pk", "updated_at")
            .order_by("-published_at", "-pk")
        )

    def lastmod(self, item: Job) -> datetime.datetime:
        return item.updated_at


class StaticPageSitemap(Sitemap):
    changefreq = "daily"
    priority = 0.5

    def items(self) -> list[str]:
        return ["home", "jobs:job-list", "employers:registry-index"]

    def location(self, item: str) -> str:
        return reverse(item)


SITEMAPS = {"pages": StaticPageSitemap, "jobs": JobSitemap}

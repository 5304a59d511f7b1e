"""
Atom feeds of the newest public 妈妈岗 posts, for everyone and per city or
district, so other public platforms can carry the posts (EXPECTATIONS.md,
machine-readable output).
"""

from __future__ import annotations

import datetime

from django.contrib.syndication.views import Feed
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _

from mamagang.regions.models import Region
from mamagang.regions.selectors import region_code_prefix

from .models import Job
from .selectors import job_list_public

FEED_SIZE = 50


class JobFeed(Feed):
    """The newest public posts, all regions."""

    feed_type = Atom1Feed

    def title(self, obj: Region | None = None) -> str:
        return _("妈妈岗 · 最新岗位")

    def subtitle(self, obj: Region | None = None) -> str:
        return _("妈妈岗服务平台上最新发布的%(n)s个岗位。") % {"n": FEED_SIZE}

    def link(self, obj: Region | None = None) -> str:
        return reverse("jobs:job-list")

    def _jobs(self) -> QuerySet[Job]:
        return job_list_public(today=timezone.localdate())

    def items(self, obj: Region | None = None) -> list[Job]:
        return list(self._jobs()[:FEED_SIZE])

    def item_title(self, item: Job) -> str:
        return item.title

    def item_description(self, item: Job) -> str:
        # Imported here: the views module routes these feeds.
        from .views.public import job_card

        card = job_card(item)
        pay = f"{card.pay}（{card.hourly}）" if card.hourly else card.pay
        return " · ".join([item.employer.name, card.place, pay, "；".join(card.windows)])

    def item_pubdate(self, item: Job) -> datetime.datetime | None:
        return item.published_at

    def item_updateddate(self, item: Job) -> datetime.datetime:
        return item.updated_at

    def item_author_name(self, item: Job) -> str:
        return item.employer.name


class RegionJobFeed(JobFeed):
    """The newest public posts of a city (4-digit prefix or its 6-digit code) or a district."""

    def get_object(self, request: HttpRequest, region_code: str) -> Region:
        if not region_code.isdigit() or len(region_code) not in (4, 6):
            raise Http404(_("地区代码应为4位（城市）或6位（区县）数字。"))
        code = f"{region_code}00" if len(region_code) == 4 else region_code
        region = Region.objects.filter(code=code).first()
        if region is None or region.level not in (Region.Level.CITY, Region.Level.DISTRICT):
            raise Http404(_("没有这个城市或区县。"))
        return region

    def title(self, obj: Region | None = None) -> str:
        return _("妈妈岗 · %(region)s 最新岗位") % {"region": obj.name if obj else ""}

    def link(self, obj: Region | None = None) -> str:
        url = reverse("jobs:job-list")
        if obj is None:
            return url
        key = "city" if obj.level == Region.Level.CITY else "district"
        return f"{url}?{key}={obj.code}"

    def items(self, obj: Region | None = None) -> list[Job]:
        assert obj is not None  # noqa: S101 - get_object always returns one
        return list(
            self._jobs().filter(district__code__startswith=region_code_prefix(obj))[:FEED_SIZE]
        )

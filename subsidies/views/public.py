"""
The public notice of subsidy payments (补贴发放公示): no login. Batches in
their notice period and those that ended lately, per city or district,
with per employer its name, number of people and amount. Nothing here
names a person or shows an ID number: person subsidies are a count and a
total per batch.
"""

from __future__ import annotations

from typing import Any

from django.urls import path
from django.utils import timezone
from django.views.generic import TemplateView

from ..selectors_bases import base_list_public
from ..selectors_payments import RECENTLY_ENDED_DAYS, publicity_notice


class PublicityView(TemplateView):
    """The 公示 page, filtered by ?region=<city or district code>."""

    template_name = "subsidies/public/publicity.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        region_code = self.request.GET.get("region", "").strip()[:12]
        return super().get_context_data(
            notice=publicity_notice(region_code=region_code),
            bases=base_list_public(today=timezone.localdate(), region_code=region_code),
            recent_days=RECENTLY_ENDED_DAYS,
            **kwargs,
        )


urlpatterns = [
    path("publicity/", PublicityView.as_view(), name="publicity"),
]

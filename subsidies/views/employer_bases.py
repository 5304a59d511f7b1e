"""
An employer's own employment-base recognitions (就业基地) and their awards:
read-only; bases are recognised and awards decided by the bureau.
"""

from __future__ import annotations

from typing import Any

from django.urls import path
from django.views.generic import TemplateView

from applicants.views.employer import EmployerPrivateMixin

from ..models import BaseAward
from ..selectors_bases import base_list_for_employer


class EmployerBaseListView(EmployerPrivateMixin, TemplateView):
    template_name = "subsidies/employer/bases.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        bases = list(base_list_for_employer(employer=self.employer))
        awards = BaseAward.objects.filter(base__in=bases).order_by("created_at", "pk")
        by_base: dict[int, list[BaseAward]] = {}
        for award in awards:
            by_base.setdefault(award.base_id, []).append(award)
        for base in bases:
            base.award_list = by_base.get(base.pk, [])
        context["bases"] = bases
        return context


urlpatterns = [
    path("employer/subsidies/bases/", EmployerBaseListView.as_view(), name="employer-base-list"),
]

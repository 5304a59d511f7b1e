"""
Public pages of the employers app: the published registry editions (名录)
by city and district, each edition with its changes and downloads (CSV,
XLSX, JSON), and the public profile of a listed employer. No login; nothing
here shows contact names or phone numbers.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from typing import Any
from urllib.parse import quote

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils import timezone, translation
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.decorators.cache import cache_control
from django.views.generic import DetailView, TemplateView

from employers.models import Employer, RegistryEdition
from employers.selectors_public import (
    employer_ids_listed_by_uscc,
    employer_list_public_profile,
    employer_open_post_counts,
    registry_edition_content_get,
    registry_edition_list_for_region,
    registry_edition_list_public,
    registry_edition_previous_content,
    registry_index,
)

# Labels are applied when rendering, so stored content stays language-free.
FACILITY_LABELS = {
    "nursing_room": gettext_lazy("母婴室"),
    "women_home": gettext_lazy("妇女之家"),
    "childcare": gettext_lazy("托育/课后托管"),
    "school_run": gettext_lazy("接送孩子时间安排"),
}
FIELD_LABELS = {
    "uscc": gettext_lazy("统一社会信用代码"),
    "name": gettext_lazy("单位名称"),
    "entity_type": gettext_lazy("主体类型"),
    "district_code": gettext_lazy("区划代码"),
    "district_name": gettext_lazy("所属区县"),
    "street_code": gettext_lazy("街道代码"),
    "street_name": gettext_lazy("所属街道/乡镇"),
    "sector": gettext_lazy("行业"),
    "facilities": gettext_lazy("家庭友好设施"),
    "listed_from": gettext_lazy("入录日期"),
    "open_posts": gettext_lazy("在招妈妈岗数"),
}
_ENTITY_TYPES = dict(Employer.EntityType.choices)
_SECTORS = dict(Employer.Sector.choices)

# Column headers of the CSV and XLSX downloads. They are the published
# format, fixed in Chinese whatever the page language, so that scripts
# reading the files do not break.
EXPORT_HEADERS = (
    "单位名称",
    "统一社会信用代码",
    "主体类型",
    "所属区县",
    "区划代码",
    "所属街道/乡镇",
    "行业",
    "家庭友好设施",
    "入录日期",
    "在招妈妈岗数",
)
EXPORT_COLUMN_WIDTHS = (36, 22, 14, 12, 10, 18, 14, 36, 12, 12)
EXPORT_LANGUAGE = "zh-hans"
# A cell starting with one of these is a formula to spreadsheet programs
# (CSV injection, https://owasp.org/www-community/attacks/CSV_Injection).
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _label(labels: dict[str, Any], value: str | None) -> str:
    # Editions are immutable; a code dropped from the choices later still shows.
    return str(labels.get(value, value or ""))


def _display_row(item: dict[str, Any], employer_ids: dict[str, int]) -> dict[str, Any]:
    return {
        **item,
        "employer_id": employer_ids.get(item["uscc"]),
        "entity_type_label": _label(_ENTITY_TYPES, item.get("entity_type")),
        "sector_label": _label(_SECTORS, item.get("sector")),
        "facility_labels": [_label(FACILITY_LABELS, code) for code in item.get("facilities", [])],
    }


def _display_rows(content: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return the content with display labels and, for listed employers, profile ids."""
    employer_ids = employer_ids_listed_by_uscc(usccs=[item["uscc"] for item in content])
    return [_display_row(item, employer_ids) for item in content]


def _changes(
    edition: RegistryEdition,
    previous: list[dict[str, Any]] | None,
    rows: list[dict[str, Any]],
) -> dict[str, list[dict[str, Any]]]:
    """Resolve the edition's stored diff to display rows with names and field labels."""
    current = {row["uscc"]: row for row in rows}
    before = {item["uscc"]: _display_row(item, {}) for item in previous or []}
    diff = edition.diff or {}
    return {
        "added": [current[uscc] for uscc in diff.get("added", []) if uscc in current],
        "removed": [
            before.get(uscc, {"uscc": uscc, "name": ""}) for uscc in diff.get("removed", [])
        ],
        "changed": [
            {
                "row": current.get(change["uscc"], {"uscc": change["uscc"], "name": ""}),
                "fields": [_label(FIELD_LABELS, name) for name in change["fields"]],
            }
            for change in diff.get("changed", [])
        ],
    }


class RegistryIndexView(TemplateView):
    """Every city with a published registry, and its districts' latest editions."""

    template_name = "employers/public/registry_index.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(cities=registry_index(), **kwargs)


class RegistryRegionView(TemplateView):
    """A region's latest edition in full, and the list of all its editions."""

    template_name = "employers/public/registry_region.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        editions = list(registry_edition_list_for_region(region_code=self.kwargs["region_code"]))
        if not editions:
            raise Http404
        latest = editions[0]
        content = registry_edition_content_get(edition_id=latest.pk)
        return super().get_context_data(
            region=latest.region,
            latest=latest,
            editions=editions,
            rows=_display_rows(content),
            **kwargs,
        )


class RegistryEditionView(TemplateView):
    """One edition: its employers, its changes from the previous one, its hash."""

    template_name = "employers/public/registry_edition.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        edition = get_object_or_404(
            registry_edition_list_public(),
            region__code=self.kwargs["region_code"],
            number=self.kwargs["number"],
        )
        previous = registry_edition_previous_content(edition=edition)
        rows = _display_rows(edition.content)
        return super().get_context_data(
            region=edition.region,
            edition=edition,
            rows=rows,
            changes=_changes(edition, previous, rows),
            is_first=edition.number == 1,
            **kwargs,
        )


def _export_values(item: dict[str, Any]) -> list[Any]:
    """Return one employer's cells in EXPORT_HEADERS order (call under EXPORT_LANGUAGE)."""
    return [
        item["name"],
        item["uscc"],
        _label(_ENTITY_TYPES, item.get("entity_type")),
        item.get("district_name") or "",
        item.get("district_code") or "",
        item.get("street_name") or "",
        _label(_SECTORS, item.get("sector")),
        "、".join(_label(FACILITY_LABELS, code) for code in item.get("facilities", [])),
        item.get("listed_from") or "",
        int(item.get("open_posts") or 0),
    ]


def _csv_safe(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_PREFIXES):
        return "'" + value
    return value


def _attachment(response: HttpResponse, edition: RegistryEdition, ext: str) -> HttpResponse:
    ascii_name = f"registry-{edition.region.code}-{edition.number}.{ext}"
    local_name = f"{edition.region.name}妈妈岗用人单位名录第{edition.number}期.{ext}"
    response["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(local_name)}"
    )
    return response


# Editions never change, so downloads may be cached by browsers and proxies.
@method_decorator(cache_control(public=True, max_age=3600), name="dispatch")
class RegistryEditionDownloadView(View):
    """One edition as CSV (UTF-8 with BOM, for Excel), XLSX or JSON."""

    fmt = "json"

    def get(self, request: HttpRequest, region_code: str, number: int) -> HttpResponse:
        edition = get_object_or_404(
            registry_edition_list_public(), region__code=region_code, number=number
        )
        render = {"csv": self.render_csv, "xlsx": self.render_xlsx, "json": self.render_json}
        with translation.override(EXPORT_LANGUAGE):
            response = render[self.fmt](edition)
        return _attachment(response, edition, self.fmt)

    def render_csv(self, edition: RegistryEdition) -> HttpResponse:
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        # The BOM makes Excel read the file as UTF-8 instead of the local code page.
        response.write("\ufeff")
        writer = csv.writer(response)
        writer.writerow(EXPORT_HEADERS)
        for item in edition.content:
            writer.writerow([_csv_safe(value) for value in _export_values(item)])
        return response

    def render_xlsx(self, edition: RegistryEdition) -> HttpResponse:
        from openpyxl import Workbook
        from openpyxl.styles import Font

        workbook = Workbook()
        sheet = workbook.active
        sheet.title = f"第{edition.number}期"
        workbook.properties.title = f"{edition.region.name}妈妈岗用人单位名录第{edition.number}期"
        sheet.append(EXPORT_HEADERS)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for item in edition.content:
            values = _export_values(item)
            listed_from = values[8]
            values[8] = date.fromisoformat(listed_from) if listed_from else None
            sheet.append(values)
            for cell in sheet[sheet.max_row]:
                if isinstance(cell.value, str):
                    # A name starting with "=" is text here, never a formula.
                    cell.data_type = "s"
                elif isinstance(cell.value, date):
                    cell.number_format = "yyyy-mm-dd"
        sheet.freeze_panes = "A2"
        for index, width in enumerate(EXPORT_COLUMN_WIDTHS):
            sheet.column_dimensions[chr(ord("A") + index)].width = width
        buffer = io.BytesIO()
        workbook.save(buffer)
        return HttpResponse(
            buffer.getvalue(),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )

    def render_json(self, edition: RegistryEdition) -> HttpResponse:
        region = edition.region
        payload = {
            "region": {
                "code": region.code,
                "name": region.name,
                "level": region.level,
                "parent_code": region.parent.code if region.parent else None,
                "parent_name": region.parent.name if region.parent else None,
            },
            "number": edition.number,
            "published_at": timezone.localtime(edition.published_at).isoformat(),
            "employer_count": edition.employer_count,
            "content_sha256": edition.content_sha256,
            # Exactly the stored content: its canonical JSON hashes to content_sha256.
            "employers": edition.content,
        }
        return HttpResponse(
            json.dumps(payload, ensure_ascii=False, indent=2),
            content_type="application/json; charset=utf-8",
        )


class EmployerPublicView(DetailView):
    """The public profile of a currently listed employer; 404 for any other."""

    template_name = "employers/public/employer_detail.html"
    context_object_name = "employer"

    def get_queryset(self):
        return employer_list_public_profile()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        employer = self.object
        counts = employer_open_post_counts(employer_ids=[employer.pk])
        return super().get_context_data(
            open_posts=counts.get(employer.pk, 0),
            listing_periods=list(employer.listing_periods.all()),
            **kwargs,
        )


urlpatterns = [
    path("registry/", RegistryIndexView.as_view(), name="registry-index"),
    path("registry/<str:region_code>/", RegistryRegionView.as_view(), name="registry-region"),
    path(
        "registry/<str:region_code>/<int:number>/",
        RegistryEditionView.as_view(),
        name="registry-edition",
    ),
    path(
        "registry/<str:region_code>/<int:number>.csv",
        RegistryEditionDownloadView.as_view(fmt="csv"),
        name="registry-edition-csv",
    ),
    path(
        "registry/<str:region_code>/<int:number>.xlsx",
        RegistryEditionDownloadView.as_view(fmt="xlsx"),
        name="registry-edition-xlsx",
    ),
    path(
        "registry/<str:region_code>/<int:number>.json",
        RegistryEditionDownloadView.as_view(fmt="json"),
        name="registry-edition-json",
    ),
    path("employers/<int:pk>/", EmployerPublicView.as_view(), name="employer-public"),
]

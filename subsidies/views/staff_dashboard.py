"""
The bureau's subsidy dashboard (补贴统计): amounts paid and approved but not
yet paid, people and employers supported, and lines awaiting review, over a
period of claimed months; spending by month, by subsidy type and by
district, each as a bar chart with the same numbers in a table next to it;
and the three tables as a CSV file (?format=csv).

Every figure comes from subsidies.selectors_dashboard, which starts from the
lines in the user's regions; the district filter only offers regions in
that scope, and any other code is refused.
"""

from __future__ import annotations

import csv
import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django import forms
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.utils import formats, timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from mamagang.regions.models import Region

from ..forms_review import MonthField
from ..models import SubsidyType
from ..money import amount_text
from ..selectors_dashboard import (
    MAX_PERIOD_MONTHS,
    Dashboard,
    SpendingRow,
    dashboard_default_period,
    dashboard_district_choice_list,
    dashboard_for_staff,
    dashboard_months,
)
from ..selectors_staff import subsidy_type_choice_list

REVIEW = "subsidies.review_claimline"
CENT = Decimal("0.01")


class _DistrictChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Region) -> str:
        parent = f"{obj.parent.name} " if obj.parent_id and obj.level == "district" else ""
        return f"{parent}{obj.name}（{obj.code}）"


class DashboardFilterForm(forms.Form):
    """GET filters of the dashboard; districts are those in the user's scope."""

    month_from = MonthField(label=_("起始月份（所属月份）"))
    month_to = MonthField(label=_("截止月份（所属月份）"))
    subsidy_type = forms.ModelChoiceField(
        label=_("补贴类型"),
        queryset=SubsidyType.objects.none(),
        to_field_name="code",
        required=False,
        empty_label=_("全部类型"),
    )
    district = _DistrictChoiceField(
        label=_("区县"),
        queryset=Region.objects.none(),
        to_field_name="code",
        required=False,
        empty_label=_("全部区县"),
        error_messages={"invalid_choice": _("请选择您辖区内的地市或区县。")},
    )

    def __init__(
        self,
        *args: Any,
        districts: QuerySet[Region],
        subsidy_types: QuerySet[SubsidyType],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["district"].queryset = districts
        self.fields["subsidy_type"].queryset = subsidy_types

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        month_from, month_to = data.get("month_from"), data.get("month_to")
        if month_from and month_to:
            if month_from > month_to:
                raise ValidationError(_("起始月份不能晚于截止月份。"), code="period_reversed")
            if len(dashboard_months(month_from, month_to)) > MAX_PERIOD_MONTHS:
                raise ValidationError(
                    _("一次最多统计 %(n)s 个月，请缩短期间。"),
                    code="period_too_long",
                    params={"n": MAX_PERIOD_MONTHS},
                )
        return data


# ---------------------------------------------------------------------------
# Presentation (no queries: the selector returned plain numbers)


def yuan(amount: Decimal) -> str:
    """Format a CNY amount with two decimals and thousands separators: "1,234.50 元"."""
    return gettext("%(amount)s 元") % {"amount": amount_text(amount.quantize(CENT, ROUND_HALF_UP))}


def _plain(amount: Decimal) -> str:
    """A CNY amount as a bare number with two decimals, for CSV cells."""
    return f"{amount.quantize(CENT, ROUND_HALF_UP):.2f}"


def _share(part: Decimal, scale: Decimal) -> str:
    """`part` as a percentage of `scale` for a CSS width, with a dot decimal."""
    if not scale:
        return "0"
    return f"{(part * 100 / scale).quantize(CENT, ROUND_HALF_UP)}"


def month_label(month: datetime.date) -> str:
    return formats.date_format(month, "YEAR_MONTH_FORMAT")


def _display_rows(rows: list[SpendingRow], *, kind: str) -> list[dict[str, Any]]:
    scale = max((row.total for row in rows), default=Decimal(0))
    result = []
    for row in rows:
        label = month_label(row.month) if row.month else row.label
        result.append(
            {
                "key": row.key,
                "label": label,
                "code": row.key if kind == "district" else "",
                "short_label": row.label,
                "paid": yuan(row.paid),
                "approved_unpaid": yuan(row.approved_unpaid),
                "total": yuan(row.total),
                "people": row.people,
                "employers": row.employers,
                "paid_share": _share(row.paid, scale),
                "approved_share": _share(row.approved_unpaid, scale),
            }
        )
    return result


def _chart_label(rows: list[SpendingRow], *, title: str, unit: str) -> str:
    """The chart's aria-label: what it plots, the total, and its largest bar."""
    total = sum((row.total for row in rows), Decimal(0))
    largest = max(rows, key=lambda row: row.total, default=None)
    text = gettext(
        "条形图：%(title)s的补贴金额，分已发放和已审核待发放两段，共 %(n)s 个%(unit)s，"
        "合计 %(total)s。"
    ) % {"title": title, "n": len(rows), "unit": unit, "total": yuan(total)}
    if largest is not None and largest.total:
        name = month_label(largest.month) if largest.month else largest.label
        text += gettext("最多的是%(name)s，%(amount)s。") % {
            "name": name,
            "amount": yuan(largest.total),
        }
    return text + gettext("各项数字见下表。")


def _section(
    rows: list[SpendingRow], *, key: str, title: str, unit: str, first_column: str
) -> dict[str, Any]:
    return {
        "key": key,
        "title": title,
        "first_column": first_column,
        "rows": _display_rows(rows, kind=key),
        "has_money": any(row.total for row in rows),
        "chart_label": _chart_label(rows, title=title, unit=unit),
    }


def dashboard_sections(dashboard: Dashboard) -> list[dict[str, Any]]:
    """The three chart-and-table sections, ready for the templates."""
    return [
        _section(
            dashboard.by_month,
            key="month",
            title=gettext("按所属月份"),
            unit=gettext("月"),
            first_column=gettext("所属月份"),
        ),
        _section(
            dashboard.by_type,
            key="type",
            title=gettext("按补贴类型"),
            unit=gettext("类型"),
            first_column=gettext("补贴类型"),
        ),
        _section(
            dashboard.by_district,
            key="district",
            title=gettext("按区县"),
            unit=gettext("区县"),
            first_column=gettext("区县"),
        ),
    ]


def headline_figures(dashboard: Dashboard) -> list[dict[str, str]]:
    h = dashboard.headline
    return [
        {"key": "paid", "label": gettext("已发放金额"), "value": yuan(h.paid)},
        {
            "key": "approved_unpaid",
            "label": gettext("已审核待发放金额"),
            "value": yuan(h.approved_unpaid),
        },
        {
            "key": "people",
            "label": gettext("受益人数"),
            "value": gettext("%(n)s 人") % {"n": h.people},
        },
        {
            "key": "employers",
            "label": gettext("受益单位数"),
            "value": gettext("%(n)s 家") % {"n": h.employers},
        },
        {
            "key": "pending",
            "label": gettext("待审核明细"),
            "value": ngettext("%(n)s 条", "%(n)s 条", h.pending) % {"n": h.pending},
        },
    ]


# ---------------------------------------------------------------------------
# CSV


def dashboard_csv(dashboard: Dashboard, *, filters: list[str]) -> HttpResponse:
    """The three tables one after another, UTF-8 with a BOM so Excel reads Chinese."""
    filename = f"subsidy-dashboard-{dashboard.month_from:%Y-%m}-{dashboard.month_to:%Y-%m}.csv"
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow([gettext("补贴统计"), *filters])
    amounts = [
        gettext("已发放（元）"),
        gettext("已审核待发放（元）"),
        gettext("合计（元）"),
        gettext("受益人数"),
        gettext("受益单位数"),
    ]

    def numbers(row: SpendingRow) -> list[Any]:
        return [
            _plain(row.paid),
            _plain(row.approved_unpaid),
            _plain(row.total),
            row.people,
            row.employers,
        ]

    writer.writerow([])
    writer.writerow([gettext("按所属月份")])
    writer.writerow([gettext("所属月份"), *amounts])
    for row in dashboard.by_month:
        writer.writerow([row.key, *numbers(row)])
    writer.writerow([])
    writer.writerow([gettext("按补贴类型")])
    writer.writerow([gettext("补贴类型代码"), gettext("补贴类型"), *amounts])
    for row in dashboard.by_type:
        writer.writerow([row.key, row.label, *numbers(row)])
    writer.writerow([])
    writer.writerow([gettext("按区县（用人单位所属区县；个人申报按申报所属区县）")])
    writer.writerow([gettext("区县代码"), gettext("区县"), *amounts])
    for row in dashboard.by_district:
        writer.writerow([row.key, row.label, *numbers(row)])
    return response


# ---------------------------------------------------------------------------
# The page


class StaffDashboardView(PermissionRequiredMixin, TemplateView):
    """Subsidy figures for the user's regions; ?format=csv downloads the tables."""

    permission_required = REVIEW
    template_name = "subsidies/staff/dashboard.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        month_from, month_to = dashboard_default_period(today=timezone.localdate())
        data = request.GET.copy()
        # An empty period means the default one, shown filled in.
        for name, month in (("month_from", month_from), ("month_to", month_to)):
            if not data.get(name):
                data[name] = f"{month:%Y-%m}"
        form = DashboardFilterForm(
            data,
            districts=dashboard_district_choice_list(user=request.user),
            subsidy_types=subsidy_type_choice_list(),
        )
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form, dashboard=None))
        cleaned = form.cleaned_data
        dashboard = dashboard_for_staff(
            user=request.user,
            month_from=cleaned["month_from"],
            month_to=cleaned["month_to"],
            subsidy_type=cleaned["subsidy_type"],
            district=cleaned["district"],
        )
        filters = self._filter_texts(cleaned)
        if request.GET.get("format") == "csv":
            return dashboard_csv(dashboard, filters=filters)
        return self.render_to_response(
            self.get_context_data(
                form=form,
                dashboard=dashboard,
                filters=filters,
                figures=headline_figures(dashboard),
                sections=dashboard_sections(dashboard),
                totals={
                    "paid": yuan(dashboard.headline.paid),
                    "approved_unpaid": yuan(dashboard.headline.approved_unpaid),
                    "total": yuan(dashboard.headline.paid + dashboard.headline.approved_unpaid),
                    "people": dashboard.headline.people,
                    "employers": dashboard.headline.employers,
                },
                filtered=any(request.GET.get(k) for k in DashboardFilterForm.base_fields),
            )
        )

    @staticmethod
    def _filter_texts(cleaned: dict[str, Any]) -> list[str]:
        district = cleaned["district"]
        subsidy_type = cleaned["subsidy_type"]
        return [
            gettext("所属月份：%(start)s 至 %(end)s")
            % {"start": f"{cleaned['month_from']:%Y-%m}", "end": f"{cleaned['month_to']:%Y-%m}"},
            gettext("补贴类型：%(name)s")
            % {"name": subsidy_type.name if subsidy_type else gettext("全部类型")},
            gettext("区县：%(name)s")
            % {"name": f"{district.name}（{district.code}）" if district else gettext("全部区县")},
        ]


urlpatterns = [
    path(
        "staff/subsidies/dashboard/",
        StaffDashboardView.as_view(),
        name="staff-dashboard",
    ),
]

"""
The bureau's suspicion pages (疑点核查): the fraud signals raised by the
nightly scan in the user's regions, with counts per kind and status, open
ones waiting longest first; one suspicion explained in plain Chinese with
links to the claim lines it names; and the form to confirm or dismiss it
with a note.

Every read goes through subsidies.selectors_suspicions, so a suspicion
outside the user's regions is a 404, the same as one that does not exist.
"""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path
from django.utils import formats
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import ListView, TemplateView

from employers.models import RegistryEntry
from mamagang.core.exceptions import DomainError

from ..models import Suspicion
from ..selectors_suspicions import (
    suspicion_counts,
    suspicion_evidence_for_staff,
    suspicion_filter,
    suspicion_get_for_staff,
    suspicion_list_for_staff,
)
from ..services.suspicions import suspicion_decide

REVIEW = "subsidies.review_claimline"
Kind = Suspicion.Kind
Status = Suspicion.Status


class SuspicionFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("类型"), choices=[("", _("全部")), *Kind.choices], required=False
    )
    status = forms.ChoiceField(
        label=_("状态"), choices=[("", _("全部")), *Status.choices], required=False
    )


class SuspicionDecideForm(forms.Form):
    status = forms.ChoiceField(
        choices=[(Status.CONFIRMED, _("确认疑点")), (Status.DISMISSED, _("排除疑点"))]
    )
    note = forms.CharField(
        label=_("核查意见"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("写明核查了什么、结论是什么。排除的疑点以后不会再次提示。"),
    )


# ---------------------------------------------------------------------------
# Plain-Chinese descriptions (no queries: read the suspicion's own fields)


def _month(value: datetime.date | str | None) -> str:
    if not value:
        return "—"
    if isinstance(value, str):
        value = datetime.date.fromisoformat(value[:7] + "-01")
    return formats.date_format(value, "YEAR_MONTH_FORMAT")


def _day(value: str | None) -> str:
    if not value:
        return "—"
    return formats.date_format(datetime.date.fromisoformat(value), "DATE_FORMAT")


def _registry_status(value: str | None) -> str:
    if value in RegistryEntry.Status.values:
        return str(RegistryEntry.Status(value).label)
    return "—"


def suspicion_summary(suspicion: Suspicion) -> str:
    """One sentence saying what the scan found."""
    d = suspicion.details or {}
    kind = suspicion.kind
    if kind == Kind.MULTI_EMPLOYER_CLAIMS:
        return gettext("%(month)s被 %(n)s 家单位同时申报") % {
            "month": _month(suspicion.month),
            "n": len(d.get("employers") or []),
        }
    if kind == Kind.HEADCOUNT_JUMP:
        return gettext("%(month)s申报 %(n)s 人，此前 %(m)s 个月平均 %(avg)s 人") % {
            "month": _month(suspicion.month),
            "n": d.get("count", 0),
            "m": d.get("months", 3),
            "avg": d.get("average", 0),
        }
    if kind == Kind.HIRE_BEFORE_CLAIM:
        return gettext("%(start)s入职，%(days)s 天后即被申报补贴") % {
            "start": _day(d.get("start_date")),
            "days": d.get("days", 0),
        }
    if kind == Kind.NO_CONTRIBUTION:
        return gettext("%(month)s有 %(n)s 条明细没有当月社保缴费记录") % {
            "month": _month(suspicion.month),
            "n": d.get("count", 0),
        }
    if kind == Kind.DELISTED_PENDING:
        if d.get("registry_status") == "removed":
            text = gettext("单位已移出名录")
        else:
            text = gettext("单位自%(until)s起不在名录内") % {"until": _day(d.get("listed_until"))}
        return text + gettext("，仍有 %(n)s 条待审核或待发放的明细") % {"n": d.get("count", 0)}
    if kind == Kind.MANY_EMPLOYERS:
        return gettext("目前同时在 %(n)s 家单位有就业登记") % {"n": d.get("count", 0)}
    return ""


def suspicion_facts(suspicion: Suspicion) -> list[tuple[str, str]]:
    """The suspicion's details as (label, value) rows in plain Chinese."""
    d = suspicion.details or {}
    kind = suspicion.kind
    rows: list[tuple[Any, str]] = [(_("发现的情况"), suspicion_summary(suspicion))]
    if kind == Kind.MULTI_EMPLOYER_CLAIMS:
        rows += [
            (_("所属月份"), _month(suspicion.month)),
            (_("申报单位数"), gettext("%(n)s 家") % {"n": len(d.get("employers") or [])}),
            (
                _("为什么可疑"),
                gettext(
                    "同一人员同一月份只能由一家单位申领；多家单位同时申报，"
                    "可能存在挂名或冒领。被驳回的重复申报也计算在内。"
                ),
            ),
        ]
    elif kind == Kind.HEADCOUNT_JUMP:
        previous = d.get("previous") or []
        rows += [
            (_("所属月份"), _month(suspicion.month)),
            (_("当月申报人数"), gettext("%(n)s 人") % {"n": d.get("count", 0)}),
            (
                _("此前各月人数"),
                "、".join(gettext("%(n)s 人") % {"n": n} for n in previous) or "—",
            ),
            (_("此前各月平均"), gettext("%(n)s 人") % {"n": d.get("average", 0)}),
            (
                _("为什么可疑"),
                gettext(
                    "当月人数达到此前各月（自首次申报起，最多三个月）平均的三倍以上，"
                    "且多出至少五人。"
                ),
            ),
        ]
    elif kind == Kind.HIRE_BEFORE_CLAIM:
        rows += [
            (_("入职日期"), _day(d.get("start_date"))),
            (_("申报日期"), _day(d.get("submitted_on"))),
            (
                _("相隔天数"),
                ngettext("%(n)s 天", "%(n)s 天", d.get("days", 0)) % {"n": d.get("days", 0)},
            ),
            (_("申报月份"), "、".join(_month(m) for m in sorted(d.get("months") or [])) or "—"),
            (_("为什么可疑"), gettext("入职后 30 天内即被申报补贴，可能是为申领补贴突击招用。")),
        ]
    elif kind == Kind.NO_CONTRIBUTION:
        rows += [
            (_("所属月份"), _month(suspicion.month)),
            (
                _("明细条数"),
                ngettext("%(n)s 条", "%(n)s 条", d.get("count", 0)) % {"n": d.get("count", 0)},
            ),
            (_("涉及人数"), gettext("%(n)s 人") % {"n": d.get("people", 0)}),
            (_("为什么可疑"), gettext("政策要求有当月社保缴费记录，但这些明细没有找到。")),
        ]
    elif kind == Kind.DELISTED_PENDING:
        rows += [
            (_("不在名录内的起始日期"), _day(d.get("listed_until"))),
            (
                _("名录状态"),
                _registry_status(d.get("registry_status")),
            ),
            (
                _("待审核或待发放明细"),
                ngettext("%(n)s 条", "%(n)s 条", d.get("count", 0)) % {"n": d.get("count", 0)},
            ),
            (
                _("为什么可疑"),
                gettext("单位已不在名录内，仍有未发放的补贴申报，须核实所属月份是否在入录期间。"),
            ),
        ]
    elif kind == Kind.MANY_EMPLOYERS:
        rows += [
            (_("在职单位数"), gettext("%(n)s 家") % {"n": d.get("count", 0)}),
            (_("为什么可疑"), gettext("同一人员同时在三家以上单位登记就业，可能存在挂名就业。")),
        ]
    return [(str(label), value) for label, value in rows]


# ---------------------------------------------------------------------------
# Pages


class StaffSuspicionMixin(PermissionRequiredMixin):
    permission_required = REVIEW

    def get_suspicion(self) -> Suspicion:
        try:
            return suspicion_get_for_staff(user=self.request.user, pk=self.kwargs["pk"])
        except Suspicion.DoesNotExist:
            raise Http404 from None


class StaffSuspicionListView(StaffSuspicionMixin, ListView):
    """Suspicions in the user's regions, open ones waiting longest first, with counts."""

    template_name = "subsidies/staff/suspicion_list.html"
    context_object_name = "suspicions"
    paginate_by = 20

    def get_queryset(self):
        self.filter_form = SuspicionFilterForm(self.request.GET)
        base = suspicion_list_for_staff(user=self.request.user)
        # The kind and status tabs are counted apart from the filters (one grouped query).
        self.counts = suspicion_counts(base)
        if not self.filter_form.is_valid():
            return base.none()
        data = self.filter_form.cleaned_data
        return suspicion_filter(base, kind=data["kind"], status=data["status"])

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        for suspicion in context["suspicions"]:
            suspicion.summary = suspicion_summary(suspicion)
        data = self.filter_form.cleaned_data if self.filter_form.is_valid() else {}
        kind, status = data.get("kind", ""), data.get("status", "")
        # Each tab row counts under the other row's choice, so a tab says what a click shows.
        by_kind = self.counts.by_kind(status=status)
        by_status = self.counts.by_status(kind=kind)
        context.update(
            kind_tabs=[
                {"value": None, "label": gettext("全部"), "count": by_kind.total()},
                *(
                    {"value": value, "label": label, "count": by_kind[value]}
                    for value, label in Kind.choices
                ),
            ],
            status_tabs=[
                {"value": None, "label": gettext("全部"), "count": by_status.total()},
                *(
                    {"value": value, "label": label, "count": by_status[value]}
                    for value, label in Status.choices
                ),
            ],
            kind=kind,
            status=status,
            filter_errors=not self.filter_form.is_valid(),
        )
        return context


class StaffSuspicionDetailView(StaffSuspicionMixin, TemplateView):
    template_name = "subsidies/staff/suspicion_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        suspicion = self.get_suspicion()
        evidence = suspicion_evidence_for_staff(user=self.request.user, suspicion=suspicion)
        return super().get_context_data(
            suspicion=suspicion,
            facts=suspicion_facts(suspicion),
            evidence=evidence,
            may_decide=suspicion.status == Status.OPEN,
            decide_form=SuspicionDecideForm(auto_id="id_decide_%s"),
            **kwargs,
        )


class StaffSuspicionDecideView(StaffSuspicionMixin, View):
    """Confirm or dismiss a suspicion with a note (suspicion_decide)."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        suspicion = self.get_suspicion()
        form = SuspicionDecideForm(request.POST)
        if not form.is_valid():
            messages.error(request, gettext("请选择确认或排除，并填写核查意见。"))
            return redirect("subsidies:staff-suspicion-detail", pk=suspicion.pk)
        try:
            suspicion = suspicion_decide(
                suspicion=suspicion,
                by=request.user,
                status=form.cleaned_data["status"],
                note=form.cleaned_data["note"],
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            if suspicion.status == Status.CONFIRMED:
                messages.success(request, gettext("已确认该疑点。"))
            else:
                messages.success(request, gettext("已排除该疑点，以后不会再次提示。"))
        return redirect("subsidies:staff-suspicion-detail", pk=suspicion.pk)


urlpatterns = [
    path(
        "staff/subsidies/suspicions/",
        StaffSuspicionListView.as_view(),
        name="staff-suspicion-list",
    ),
    path(
        "staff/subsidies/suspicions/<int:pk>/",
        StaffSuspicionDetailView.as_view(),
        name="staff-suspicion-detail",
    ),
    path(
        "staff/subsidies/suspicions/<int:pk>/decide/",
        StaffSuspicionDecideView.as_view(),
        name="staff-suspicion-decide",
    ),
]

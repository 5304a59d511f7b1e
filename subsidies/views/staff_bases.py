"""
The bureau's employment-base pages (妈妈岗就业基地): the bases in the user's
regions with each year's award cap and how much of it is taken; recognising
a listed employer for a year (a renewal continues the count of years);
one base with its awards (propose, approve by another person, mark paid)
and revocation. Every change goes through subsidies.services.bases.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import FormView, ListView, TemplateView

from employers.models import Employer
from mamagang.accounts.selectors import region_prefixes_for_user
from mamagang.core.exceptions import DomainError
from mamagang.regions.models import Region

from ..models import BaseAward, EmploymentBase
from ..selectors_bases import (
    base_award_get_for_staff,
    base_awards,
    base_filter,
    base_get_for_staff,
    base_history,
    base_list_for_staff,
)
from ..selectors_staff import _scope_q
from ..services.bases import (
    base_award_cap,
    base_award_decide,
    base_award_mark_paid,
    base_award_propose,
    base_recognise,
    base_revoke,
)

VIEW = "subsidies.view_employmentbase"
RECOGNISE = "subsidies.recognise_employmentbase"


class BaseFilterForm(forms.Form):
    q = forms.CharField(label=_("单位名称或信用代码"), max_length=60, required=False)
    level = forms.ChoiceField(
        label=_("级别"), choices=[("", _("全部")), *EmploymentBase.Level.choices], required=False
    )
    status = forms.ChoiceField(
        label=_("状态"), choices=[("", _("全部")), *EmploymentBase.Status.choices], required=False
    )
    in_force = forms.BooleanField(label=_("只看今天有效的"), required=False)


class RecogniseForm(forms.Form):
    uscc = forms.CharField(
        label=_("统一社会信用代码"),
        max_length=18,
        min_length=18,
        help_text=_("须为您辖区内、认定起始日在妈妈岗名录中的单位。"),
    )
    region = forms.ModelChoiceField(
        label=_("认定地区"), queryset=Region.objects.none(), empty_label=None
    )
    valid_from = forms.DateField(
        label=_("认定起始日"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("认定期一年。上一年认定期结束当天开始的续认定，计为第二年（以此类推）。"),
    )
    document_number = forms.CharField(label=_("认定文号"), max_length=120)
    name = forms.CharField(
        label=_("基地名称"),
        max_length=120,
        required=False,
        help_text=_("不填则为“单位名称 + 妈妈岗就业基地”。"),
    )

    def __init__(self, *args: Any, regions: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions

    def clean_uscc(self) -> str:
        return self.cleaned_data["uscc"].strip().upper()


class AwardForm(forms.Form):
    amount = forms.DecimalField(
        label=_("奖补金额（元）"), max_digits=12, decimal_places=2, min_value=Decimal("0.01")
    )
    basis = forms.CharField(
        label=_("核定依据"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("如认定年度内吸纳妈妈就业人数、稳定就业情况、带动作用。"),
    )


class DecideForm(forms.Form):
    note = forms.CharField(
        label=_("审批意见"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("不予批准时必填。"),
    )


class RevokeForm(forms.Form):
    reason = forms.CharField(
        label=_("撤销原因"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


def _recognising_regions(user: Any):
    """The cities and provinces the user may recognise bases for."""
    prefixes = region_prefixes_for_user(user=user)
    if not prefixes:
        return Region.objects.none()
    return (
        Region.objects.current()
        .filter(level__in=[Region.Level.CITY, Region.Level.PROVINCE])
        .filter(_scope_q(prefixes, "code"))
        .order_by("code")
    )


class StaffBaseListView(PermissionRequiredMixin, ListView):
    permission_required = VIEW
    template_name = "subsidies/staff/base_list.html"
    context_object_name = "bases"
    paginate_by = 20

    def get_queryset(self):
        self.filter_form = BaseFilterForm(self.request.GET)
        qs = base_list_for_staff(user=self.request.user)
        if not self.filter_form.is_valid():
            return qs.none()
        data = self.filter_form.cleaned_data
        return base_filter(
            qs,
            level=data["level"],
            status=data["status"],
            in_force_on=timezone.localdate() if data["in_force"] else None,
            q=data["q"].strip(),
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(
            filter_form=self.filter_form,
            today=timezone.localdate(),
            may_recognise=self.request.user.has_perm(RECOGNISE),
        )
        return context


class StaffBaseCreateView(PermissionRequiredMixin, FormView):
    permission_required = RECOGNISE
    template_name = "subsidies/staff/base_form.html"
    form_class = RecogniseForm

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs["regions"] = _recognising_regions(self.request.user)
        return kwargs

    def get_initial(self) -> dict[str, Any]:
        return {"valid_from": timezone.localdate()}

    def form_valid(self, form: RecogniseForm) -> HttpResponse:
        data = form.cleaned_data
        prefixes = region_prefixes_for_user(user=self.request.user)
        employer = (
            Employer.objects.select_related("district")
            .filter(_scope_q(prefixes, "district__code"), uscc=data["uscc"])
            .first()
        )
        if employer is None:
            form.add_error("uscc", gettext("您辖区内没有这个统一社会信用代码的单位，请核对。"))
            return self.form_invalid(form)
        try:
            base = base_recognise(
                employer=employer,
                region=data["region"],
                valid_from=data["valid_from"],
                document_number=data["document_number"],
                name=data["name"],
                by=self.request.user,
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
            return self.form_invalid(form)
        messages.success(
            self.request,
            gettext("已登记：{name}（第{year}年认定）。").format(name=base.name, year=base.year),
        )
        return redirect("subsidies:staff-base-detail", pk=base.pk)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["has_regions"] = _recognising_regions(self.request.user).exists()
        return context


class StaffBaseDetailView(PermissionRequiredMixin, TemplateView):
    permission_required = VIEW
    template_name = "subsidies/staff/base_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        base = base_get_for_staff(user=user, pk=kwargs["pk"])
        try:
            cap = base_award_cap(base=base)
            cap_error = ""
        except DomainError as exc:
            cap, cap_error = None, exc.message
        awards = list(base_awards(base=base))
        for award in awards:
            award.may_decide = (
                award.status == BaseAward.Status.PROPOSED
                and award.proposed_by_id != user.pk
                and user.has_perm(RECOGNISE)
            )
        may_act = user.has_perm(RECOGNISE)
        context.update(
            base=base,
            cap=cap,
            cap_error=cap_error,
            used_percent=(min(100, round(100 * cap.used / cap.cap)) if cap and cap.cap else 0),
            awards=awards,
            history=[b for b in base_history(base=base) if b.pk != base.pk],
            may_propose=may_act and base.status == EmploymentBase.Status.ACTIVE and cap is not None,
            may_revoke=may_act and base.status == EmploymentBase.Status.ACTIVE,
            award_form=kwargs.get("award_form") or AwardForm(),
            decide_form=DecideForm(),
            revoke_form=RevokeForm(),
        )
        return context


class StaffBaseAwardProposeView(PermissionRequiredMixin, View):
    permission_required = RECOGNISE

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        base = base_get_for_staff(user=request.user, pk=pk)
        form = AwardForm(request.POST)
        if form.is_valid():
            try:
                base_award_propose(
                    base=base,
                    amount=form.cleaned_data["amount"],
                    basis=form.cleaned_data["basis"],
                    by=request.user,
                )
            except DomainError as exc:
                form.add_error("amount", exc.message)
            else:
                messages.success(request, gettext("奖补已提出，请另一位工作人员审批。"))
                return redirect("subsidies:staff-base-detail", pk=base.pk)
        return _render_detail(request, pk, form)


def _render_detail(request: HttpRequest, pk: int, award_form: AwardForm) -> HttpResponse:
    view = StaffBaseDetailView()
    view.setup(request, pk=pk)
    context = view.get_context_data(pk=pk, award_form=award_form)
    return view.render_to_response(context, status=400)


class StaffBaseAwardDecideView(PermissionRequiredMixin, View):
    permission_required = RECOGNISE

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        award = base_award_get_for_staff(user=request.user, pk=pk)
        form = DecideForm(request.POST)
        form.is_valid()
        approve = request.POST.get("decision") == "approve"
        try:
            base_award_decide(
                award=award,
                approve=approve,
                note=form.cleaned_data.get("note", ""),
                by=request.user,
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, gettext("已批准。") if approve else gettext("已不予批准。"))
        return redirect("subsidies:staff-base-detail", pk=award.base_id)


class StaffBaseAwardPaidView(PermissionRequiredMixin, View):
    permission_required = RECOGNISE

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        award = base_award_get_for_staff(user=request.user, pk=pk)
        try:
            base_award_mark_paid(award=award, by=request.user)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, gettext("已登记发放。"))
        return redirect("subsidies:staff-base-detail", pk=award.base_id)


class StaffBaseRevokeView(PermissionRequiredMixin, View):
    permission_required = RECOGNISE

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        base = base_get_for_staff(user=request.user, pk=pk)
        form = RevokeForm(request.POST)
        form.is_valid()
        try:
            base_revoke(base=base, reason=form.cleaned_data.get("reason", ""), by=request.user)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, gettext("已撤销认定。"))
        return redirect("subsidies:staff-base-detail", pk=base.pk)


urlpatterns = [
    path("staff/subsidies/bases/", StaffBaseListView.as_view(), name="staff-base-list"),
    path("staff/subsidies/bases/new/", StaffBaseCreateView.as_view(), name="staff-base-create"),
    path(
        "staff/subsidies/bases/<int:pk>/", StaffBaseDetailView.as_view(), name="staff-base-detail"
    ),
    path(
        "staff/subsidies/bases/<int:pk>/awards/",
        StaffBaseAwardProposeView.as_view(),
        name="staff-base-award-propose",
    ),
    path(
        "staff/subsidies/bases/<int:pk>/revoke/",
        StaffBaseRevokeView.as_view(),
        name="staff-base-revoke",
    ),
    path(
        "staff/subsidies/base-awards/<int:pk>/decide/",
        StaffBaseAwardDecideView.as_view(),
        name="staff-base-award-decide",
    ),
    path(
        "staff/subsidies/base-awards/<int:pk>/paid/",
        StaffBaseAwardPaidView.as_view(),
        name="staff-base-award-paid",
    ),
]

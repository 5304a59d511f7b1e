"""
The bureau's payment pages (补贴发放, 追回): payment batches of the user's
regions with their control totals and a form to make one from the approved
lines not yet in a batch; one batch with its lines and the steps allowed
(approve after the 公示 period, export to XLSX or CSV, mark paid); the
proposed and decided recoveries with a form to decide each.

Every read goes through subsidies.selectors_payments, so a batch or
recovery outside the user's regions is a 404. The rules live in
subsidies.services.payments; the pages show their refusals and, before
any click, why a step is not possible yet.
"""

from __future__ import annotations

import datetime
from typing import Any
from urllib.parse import quote

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import ListView, TemplateView

from employers.selectors_staff import publishable_region_list_for_user
from mamagang.core.exceptions import DomainError
from mamagang.regions.models import Region

from ..models import ClaimLine, PaymentBatch, Recovery
from ..reasons import reason_labels
from ..selectors_payments import (
    ZERO,
    batch_get_for_staff,
    batch_line_list,
    batch_list_for_staff,
    batch_status_totals,
    recovery_get_for_staff,
    recovery_list_for_staff,
    recovery_status_counts_for_staff,
    unbatched_totals_for_staff,
)
from ..services.payments import (
    EXPORT_FORMATS,
    RECOVERY_TRANSITIONS,
    XLSX_CONTENT_TYPE,
    batch_approve,
    batch_create,
    batch_export,
    batch_mark_paid,
    recovery_decide,
)

REVIEW = "subsidies.review_claimline"
BatchStatus = PaymentBatch.Status
LINES_PER_PAGE = 50
# Badge classes of subsidies.css, by batch status.
BATCH_BADGES = {
    BatchStatus.PUBLICITY: "run-status run-status-running",
    BatchStatus.APPROVED: "run-status run-status-pending",
    BatchStatus.EXPORTED: "run-status run-status-pending",
    BatchStatus.PAID: "run-status run-status-done",
}
RECOVERY_BADGES = {
    Recovery.Status.PROPOSED: "run-status run-status-running",
    Recovery.Status.CONFIRMED: "run-status run-status-failed",
    Recovery.Status.RECOVERED: "run-status run-status-done",
    Recovery.Status.WAIVED: "run-status run-status-pending",
}


# ---------------------------------------------------------------------------
# Forms


class _RegionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Region) -> str:
        return f"{obj.name}（{obj.code}）"


class BatchCreateForm(forms.Form):
    region = _RegionChoiceField(
        label=_("地区"), queryset=Region.objects.none(), to_field_name="code"
    )
    publicity_days = forms.IntegerField(
        label=_("公示天数"),
        required=False,
        min_value=1,
        max_value=60,
        help_text=_("不填则按所含明细的补贴政策中最长的公示天数；公示从明天开始。"),
    )

    def __init__(self, *args: Any, regions: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions


class MarkPaidForm(forms.Form):
    paid_on = forms.DateField(
        label=_("发放日期"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"required": _("请填写银行实际发放的日期。")},
    )


class RecoveryDecideForm(forms.Form):
    status = forms.ChoiceField(label=_("处理结果"), choices=())
    note = forms.CharField(
        label=_("处理说明"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("请填写处理说明。")},
    )

    def __init__(self, *args: Any, recovery: Recovery, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"id_recovery_{recovery.pk}_%s")
        super().__init__(*args, **kwargs)
        allowed = RECOVERY_TRANSITIONS.get(recovery.status, ())
        self.fields["status"].choices = [
            (value, label) for value, label in Recovery.Status.choices if value in allowed
        ]


# ---------------------------------------------------------------------------
# Batches


class StaffPaymentMixin(PermissionRequiredMixin):
    permission_required = REVIEW

    def get_batch(self) -> PaymentBatch:
        try:
            return batch_get_for_staff(user=self.request.user, pk=self.kwargs["pk"])
        except PaymentBatch.DoesNotExist:
            raise Http404 from None


class StaffBatchListView(StaffPaymentMixin, ListView):
    """
    The batches of the user's regions with their status and control totals;
    above them, per city and district in scope, the approved lines not yet
    in a batch (count and sum) with a button that makes a batch of them.
    """

    template_name = "subsidies/staff/batch_list.html"
    context_object_name = "batches"
    paginate_by = 20

    def get_queryset(self):
        return batch_list_for_staff(user=self.request.user)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        regions = list(publishable_region_list_for_user(user=user))
        for batch in context["batches"]:
            batch.badge = BATCH_BADGES[batch.status]
        context.update(
            unbatched=unbatched_totals_for_staff(user=user, regions=regions),
            today=timezone.localdate(),
        )
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = BatchCreateForm(
            request.POST, regions=publishable_region_list_for_user(user=request.user)
        )
        if not form.is_valid():
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, error)
            return redirect("subsidies:staff-batch-list")
        region = form.cleaned_data["region"]
        try:
            batch = batch_create(
                region=region,
                by=request.user,
                publicity_days=form.cleaned_data["publicity_days"],
            )
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("subsidies:staff-batch-list")
        messages.success(
            request,
            gettext(
                "已编制%(region)s第%(n)d批：%(count)d 笔，合计 %(amount)s 元，"
                "公示期 %(since)s 至 %(until)s。"
            )
            % {
                "region": region.name,
                "n": batch.number,
                "count": batch.declared_count,
                "amount": f"{batch.declared_amount:.2f}",
                "since": batch.publicity_from.isoformat(),
                "until": batch.publicity_until.isoformat(),
            },
        )
        return redirect("subsidies:staff-batch-detail", pk=batch.pk)


def batch_blocks(user: Any, batch: PaymentBatch, today: Any) -> list[str]:
    """Why `user` cannot approve `batch` now, in words; empty if nothing blocks."""
    if batch.status != BatchStatus.PUBLICITY:
        return []
    blocks = []
    if today <= batch.publicity_until:
        blocks.append(
            gettext("公示期至%(until)s结束，公示期满后（%(next)s起）才能审批。")
            % {
                "until": batch.publicity_until.isoformat(),
                "next": (batch.publicity_until + datetime.timedelta(days=1)).isoformat(),
            }
        )
    if batch.created_by_id == user.pk:
        blocks.append(gettext("您是本批次的制单人，须由另一名工作人员审批。"))
    return blocks


class StaffBatchDetailView(StaffPaymentMixin, TemplateView):
    """One batch: its control totals, its lines by status, and the next step."""

    template_name = "subsidies/staff/batch_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        batch = self.get_batch()
        batch.badge = BATCH_BADGES[batch.status]
        today = timezone.localdate()
        totals = batch_status_totals(batch=batch)
        paginator = Paginator(batch_line_list(batch=batch), LINES_PER_PAGE)
        page = paginator.get_page(self.request.GET.get("page"))
        payable = [ClaimLine.Status.APPROVED, ClaimLine.Status.PAID]
        payable_count = sum(totals[s].count for s in payable if s in totals)
        payable_amount = sum((totals[s].amount for s in payable if s in totals), ZERO)
        leaving = [
            {"label": ClaimLine.Status(status).label, "count": total.count}
            for status, total in totals.items()
            if status not in payable
        ]
        blocks = batch_blocks(self.request.user, batch, today)
        return super().get_context_data(
            batch=batch,
            lines=page,
            page_obj=page,
            is_paginated=page.has_other_pages(),
            payable_count=payable_count,
            payable_amount=payable_amount,
            totals_match=(
                payable_count == batch.declared_count and payable_amount == batch.declared_amount
            ),
            leaving=leaving,
            blocks=blocks,
            may_approve=batch.status == BatchStatus.PUBLICITY and not blocks,
            may_export=batch.status != BatchStatus.PUBLICITY,
            may_mark_paid=batch.status == BatchStatus.EXPORTED,
            paid_form=MarkPaidForm(initial={"paid_on": today}),
            formats=EXPORT_FORMATS,
            **kwargs,
        )


class _StaffBatchActionView(StaffPaymentMixin, View):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        batch = self.get_batch()
        try:
            response = self.act(batch)
        except DomainError as exc:
            messages.error(request, exc.message)
            response = None
        return response or redirect("subsidies:staff-batch-detail", pk=batch.pk)

    def act(self, batch: PaymentBatch) -> HttpResponse | None:
        raise NotImplementedError


class StaffBatchApproveView(_StaffBatchActionView):
    def act(self, batch: PaymentBatch) -> None:
        before = batch.declared_count
        batch = batch_approve(batch=batch, by=self.request.user)
        dropped = before - batch.declared_count
        if dropped:
            messages.info(
                self.request,
                gettext("公示期间有 %(n)d 条明细被驳回或重新审核，已移出本批次。") % {"n": dropped},
            )
        messages.success(
            self.request,
            gettext("已审批：%(count)d 笔，合计 %(amount)s 元。")
            % {"count": batch.declared_count, "amount": f"{batch.declared_amount:.2f}"},
        )


class StaffBatchExportView(_StaffBatchActionView):
    """
    The batch's payee file (?format=xlsx or csv). A POST, not a link: the
    first export marks the batch exported.
    """

    def act(self, batch: PaymentBatch) -> HttpResponse | None:
        fmt = self.request.POST.get("format") or self.request.GET.get("format") or ""
        file_name, content = batch_export(batch=batch, by=self.request.user, fmt=fmt)
        content_type = XLSX_CONTENT_TYPE if fmt == "xlsx" else "text/csv; charset=utf-8"
        response = HttpResponse(content, content_type=content_type)
        local_name = f"{batch.region.name}补贴发放第{batch.number}批.{fmt}"
        response["Content-Disposition"] = (
            f"attachment; filename=\"{file_name}\"; filename*=UTF-8''{quote(local_name)}"
        )
        response["Cache-Control"] = "no-store"
        return response


class StaffBatchMarkPaidView(_StaffBatchActionView):
    def act(self, batch: PaymentBatch) -> None:
        form = MarkPaidForm(self.request.POST)
        if not form.is_valid():
            messages.error(self.request, gettext("请填写银行实际发放的日期。"))
            return
        batch = batch_mark_paid(
            batch=batch, by=self.request.user, paid_on=form.cleaned_data["paid_on"]
        )
        messages.success(
            self.request,
            gettext("已登记发放：%(count)d 笔，合计 %(amount)s 元。")
            % {"count": batch.declared_count, "amount": f"{batch.declared_amount:.2f}"},
        )


# ---------------------------------------------------------------------------
# Recoveries


class StaffRecoveryListView(StaffPaymentMixin, ListView):
    """Recoveries of the user's regions, oldest first, by status, each with its form."""

    template_name = "subsidies/staff/recovery_list.html"
    context_object_name = "recoveries"
    paginate_by = 20

    def get_status(self) -> str:
        status = self.request.GET.get("status", Recovery.Status.PROPOSED)
        return status if status in Recovery.Status.values or status == "all" else ""

    def get_queryset(self):
        status = self.get_status()
        return recovery_list_for_staff(
            user=self.request.user, status="" if status == "all" else status
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        for recovery in context["recoveries"]:
            recovery.reason_labels = reason_labels(recovery.reasons)
            recovery.badge = RECOVERY_BADGES[recovery.status]
            recovery.form = (
                RecoveryDecideForm(recovery=recovery)
                if recovery.status in RECOVERY_TRANSITIONS
                else None
            )
        counts = recovery_status_counts_for_staff(user=self.request.user)
        status = self.get_status()
        context.update(
            status=status,
            tabs=[
                *(
                    {"value": value, "label": label, "count": counts.get(value, 0)}
                    for value, label in Recovery.Status.choices
                ),
                {"value": "all", "label": gettext("全部"), "count": sum(counts.values())},
            ],
            query=self.request.GET.urlencode(),
        )
        return context


class StaffRecoveryDecideView(StaffPaymentMixin, View):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        try:
            recovery = recovery_get_for_staff(user=request.user, pk=pk)
        except Recovery.DoesNotExist:
            raise Http404 from None
        back = reverse("subsidies:staff-recovery-list")
        query = request.POST.get("query", "")
        if query:
            back = f"{back}?{query}"
        form = RecoveryDecideForm(request.POST, recovery=recovery)
        if not form.is_valid():
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, error)
            return redirect(back)
        try:
            recovery = recovery_decide(
                recovery=recovery,
                by=request.user,
                status=form.cleaned_data["status"],
                note=form.cleaned_data["note"],
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                gettext("已处理追回记录 #%(pk)d：%(status)s。")
                % {"pk": recovery.pk, "status": recovery.get_status_display()},
            )
        return redirect(back)


urlpatterns = [
    path("staff/subsidies/batches/", StaffBatchListView.as_view(), name="staff-batch-list"),
    path(
        "staff/subsidies/batches/<int:pk>/",
        StaffBatchDetailView.as_view(),
        name="staff-batch-detail",
    ),
    path(
        "staff/subsidies/batches/<int:pk>/approve/",
        StaffBatchApproveView.as_view(),
        name="staff-batch-approve",
    ),
    path(
        "staff/subsidies/batches/<int:pk>/export/",
        StaffBatchExportView.as_view(),
        name="staff-batch-export",
    ),
    path(
        "staff/subsidies/batches/<int:pk>/paid/",
        StaffBatchMarkPaidView.as_view(),
        name="staff-batch-mark-paid",
    ),
    path(
        "staff/subsidies/recoveries/", StaffRecoveryListView.as_view(), name="staff-recovery-list"
    ),
    path(
        "staff/subsidies/recoveries/<int:pk>/decide/",
        StaffRecoveryDecideView.as_view(),
        name="staff-recovery-decide",
    ),
]

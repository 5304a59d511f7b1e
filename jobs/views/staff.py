"""
The bureau staff's post moderation (岗位审核): the queue by status, one post
with its labour-law warnings and history, the decisions allowed now, and
the programme figures of the staff member's scope.

Every read goes through job_list_for_staff, so a post outside the user's
regions is a 404, the same as one that does not exist.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import ListView, TemplateView

from employers.selectors_staff import district_choice_list_for_user
from mamagang.core.exceptions import DomainError

from ..forms import (
    QUEUE_STATUSES,
    ModerationReasonForm,
    StaffJobFilterForm,
    describe_windows,
    windows_of,
)
from ..models import Job
from ..permissions import can_moderate_job
from ..selectors import job_list_for_staff
from ..selectors_staff import job_counts_by_status, job_figures_for_staff
from ..services import INPUT_FIELDS, job_approve, job_check, job_return, job_take_down
from .employer import check_context, post_mode_labels

Status = Job.Status
MODERATE = "jobs.moderate_job"
# A post waiting longer than this is flagged in the queue.
STALE_AFTER_DAYS = 3


class StaffJobMixin(PermissionRequiredMixin):
    permission_required = MODERATE

    def get_job(self) -> Job:
        return get_object_or_404(job_list_for_staff(user=self.request.user), pk=self.kwargs["pk"])


class StaffJobQueueView(StaffJobMixin, ListView):
    """Posts in the user's regions by status; those waiting for review oldest first."""

    template_name = "jobs/staff/job_queue.html"
    context_object_name = "jobs"
    paginate_by = 20

    def get_queryset(self):
        user = self.request.user
        self.filter_form = StaffJobFilterForm(
            self.request.GET, districts=district_choice_list_for_user(user=user)
        )
        if not self.filter_form.is_valid():
            self.status = Status.SUBMITTED
            return Job.objects.none()
        data = self.filter_form.cleaned_data
        self.status = data["status"] or Status.SUBMITTED
        jobs = job_list_for_staff(user=user).filter(status=self.status)
        if data["q"]:
            text = data["q"].strip()
            jobs = jobs.filter(Q(title__icontains=text) | Q(employer__name__icontains=text))
        if data["district"]:
            jobs = jobs.filter(district=data["district"])
        if self.status == Status.SUBMITTED:
            # Oldest first, so nothing waits unseen at the bottom of the queue.
            return jobs.order_by("submitted_at", "pk")
        return jobs.order_by("-updated_at", "-pk")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        counts = job_counts_by_status(jobs=job_list_for_staff(user=self.request.user))
        today = timezone.localdate()
        for job in context["jobs"]:
            job.waiting_days = (
                (today - timezone.localdate(job.submitted_at)).days if job.submitted_at else None
            )
            job.is_stale = (
                job.status == Status.SUBMITTED
                and job.waiting_days is not None
                and job.waiting_days > STALE_AFTER_DAYS
            )
        context.update(
            filter_form=self.filter_form,
            status=self.status,
            status_label=Status(self.status).label,
            status_tabs=[
                {"value": s, "label": Status(s).label, "count": counts[s]} for s in QUEUE_STATUSES
            ],
            stale_after_days=STALE_AFTER_DAYS,
        )
        return context


# Decisions: name → (URL name, button label, needs a reason, status allowing it).
_ACTIONS: dict[str, tuple[str, Any, bool, str]] = {
    "approve": ("staff-job-approve", _("通过，发布岗位"), False, Status.SUBMITTED),
    "return": ("staff-job-return", _("退回修改"), True, Status.SUBMITTED),
    "take_down": ("staff-job-take-down", _("下架"), True, Status.PUBLISHED),
}


class StaffJobDetailView(StaffJobMixin, TemplateView):
    template_name = "jobs/staff/job_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        job = self.get_job()
        fields = {name: getattr(job, name) for name in INPUT_FIELDS}
        windows = windows_of(job)
        try:
            check = job_check(fields=fields, windows=windows, today=timezone.localdate())
        except DomainError:
            check = None
        may_decide = can_moderate_job(self.request.user, job)
        actions = [
            {
                "name": name,
                "label": label,
                "url": reverse(f"jobs:{url_name}", kwargs={"pk": job.pk}),
                "form": ModerationReasonForm(auto_id=f"id_{name}_%s") if needs_reason else None,
                "primary": name == "approve",
            }
            for name, (url_name, label, needs_reason, status) in _ACTIONS.items()
            if job.status == status and may_decide
        ]
        return super().get_context_data(
            job=job,
            windows_text=describe_windows(windows),
            post_modes=post_mode_labels(job.post_modes),
            events=list(job.events.select_related("actor").order_by("occurred_at", "pk")),
            actions=actions,
            four_eyes_blocked=not may_decide,
            **check_context(fields=fields, windows=windows, check=check),
            **kwargs,
        )


class _StaffDecisionView(StaffJobMixin, View):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        job = self.get_job()
        if not can_moderate_job(request.user, job):
            raise PermissionDenied
        try:
            self.decide(job)
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect("jobs:staff-job-detail", pk=job.pk)

    def decide(self, job: Job) -> None:
        raise NotImplementedError

    def reason(self) -> str | None:
        form = ModerationReasonForm(self.request.POST)
        if not form.is_valid():
            messages.error(self.request, gettext("请填写原因，单位会看到这段说明。"))
            return None
        return form.cleaned_data["reason"]


class StaffJobApproveView(_StaffDecisionView):
    def decide(self, job: Job) -> None:
        job_approve(job=job, decided_by=self.request.user)
        messages.success(self.request, gettext("已通过，岗位“%(t)s”已发布。") % {"t": job.title})


class StaffJobReturnView(_StaffDecisionView):
    def decide(self, job: Job) -> None:
        reason = self.reason()
        if reason is not None:
            job_return(job=job, decided_by=self.request.user, reason=reason)
            messages.success(self.request, gettext("已将岗位“%(t)s”退回修改。") % {"t": job.title})


class StaffJobTakeDownView(_StaffDecisionView):
    def decide(self, job: Job) -> None:
        reason = self.reason()
        if reason is not None:
            job_take_down(job=job, decided_by=self.request.user, reason=reason)
            messages.success(self.request, gettext("已下架岗位“%(t)s”。") % {"t": job.title})


class StaffJobFiguresView(StaffJobMixin, TemplateView):
    template_name = "jobs/staff/job_figures.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(
            figures=job_figures_for_staff(user=self.request.user), **kwargs
        )


urlpatterns = [
    path("staff/jobs/", StaffJobQueueView.as_view(), name="staff-job-queue"),
    path("staff/jobs/figures/", StaffJobFiguresView.as_view(), name="staff-job-figures"),
    path("staff/jobs/<int:pk>/", StaffJobDetailView.as_view(), name="staff-job-detail"),
    path("staff/jobs/<int:pk>/approve/", StaffJobApproveView.as_view(), name="staff-job-approve"),
    path("staff/jobs/<int:pk>/return/", StaffJobReturnView.as_view(), name="staff-job-return"),
    path(
        "staff/jobs/<int:pk>/take-down/",
        StaffJobTakeDownView.as_view(),
        name="staff-job-take-down",
    ),
]

"""
The employer's posts (岗位管理) in the employer workspace: list, create and
edit with a preview of the derived figures and labour-law warnings, and
the lifecycle actions (submit, close, renew, duplicate).

Every post is fetched through job_list_for_employer(current employer), so
another employer's post is a 404, the same as one that does not exist.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import ListView, TemplateView

from employers.forms.workspace import add_service_errors
from employers.models import RegistryEntry
from employers.selectors import registry_entry_get_for_employer
from employers.views.workspace import WorkspaceMixin
from mamagang.core.exceptions import DomainError

from ..forms import (
    JobCloseForm,
    JobForm,
    JobRenewForm,
    describe_windows,
    window_formset,
    windows_of,
)
from ..models import Job
from ..schedule import Window
from ..selectors import job_list_for_employer, job_region_setting
from ..selectors_staff import job_counts_by_status
from ..services import (
    INPUT_FIELDS,
    JobCheck,
    job_check,
    job_close,
    job_create,
    job_duplicate,
    job_renew,
    job_submit,
    job_update,
)

Status = Job.Status
EDITABLE = (Status.DRAFT, Status.RETURNED, Status.SUBMITTED, Status.PUBLISHED)
SUBMITTABLE = (Status.DRAFT, Status.RETURNED)
CLOSABLE = (Status.PUBLISHED, Status.EXPIRED)
RENEWABLE = (Status.PUBLISHED, Status.EXPIRED)

# What each status means for the employer, and what to do next.
STATUS_HELP = {
    Status.DRAFT: _("草稿仅本单位成员可见。确认内容无误后请提交；单位纳入名录后才能提交。"),
    Status.SUBMITTED: _("已提交，正在等待区人社局审核。审核通过后岗位将公开展示。"),
    Status.PUBLISHED: _("岗位正在招聘，求职者可以在岗位搜索中看到。招到人后请及时结束招聘。"),
    Status.RETURNED: _("区人社局将岗位退回修改。请按下面的意见修改后重新提交。"),
    Status.TAKEN_DOWN: _(
        "岗位已被区人社局下架，求职者看不到。请阅读下面的原因；如需继续招聘，"
        "可以复制为新岗位，修改后重新提交。"
    ),
    Status.CLOSED: _("招聘已结束，岗位不再出现在搜索中。需要再次招聘时可以复制为新岗位。"),
    Status.EXPIRED: _(
        "岗位已过截止日期，不再出现在搜索中。请告诉我们是否招到了人，或延期继续招聘。"
    ),
}
REASON_STATUSES = (Status.RETURNED, Status.TAKEN_DOWN)
# The renew form suggests this much beyond the current end date (or today).
RENEW_BY_DEFAULT = datetime.timedelta(days=30)


def _listed(employer) -> bool:
    entry = registry_entry_get_for_employer(employer=employer)
    return entry is not None and entry.status == RegistryEntry.Status.APPROVED


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def check_context(
    *, fields: dict[str, Any], windows: list[Window], check: JobCheck | None
) -> dict[str, Any]:
    """Return what the templates need to show a post's derived figures."""
    if check is None:
        return {"check": None}
    _review, day_start, day_end = job_region_setting(district=fields["district"])
    school_day = (
        f"{day_start // 60:02d}:{day_start % 60:02d}–{day_end // 60:02d}:{day_end % 60:02d}"
    )
    if not windows:
        why = gettext("没有填写固定的工作时间段，时间由妈妈们自行安排。")
    elif check.school_run_friendly:
        why = gettext("所有工作时间段都在当地在校时段（%(d)s）内。") % {"d": school_day}
    else:
        why = gettext("有工作时间段超出当地在校时段（%(d)s）。") % {"d": school_day}
    return {
        "check": check,
        "school_run_why": why,
        "is_part_time": fields["employment_form"] == Job.EmploymentForm.PART_TIME_HOURLY,
    }


def post_mode_labels(modes: list[str]) -> list[str]:
    return [str(Job.PostMode(mode).label) for mode in modes if mode in Job.PostMode.values]


class EmployerJobMixin(WorkspaceMixin):
    """The workspace permission and current employer; posts of that employer only."""

    def get_jobs(self):
        return job_list_for_employer(employer=self.employer)

    def get_job(self) -> Job:
        return get_object_or_404(self.get_jobs(), pk=self.kwargs["pk"])


class EmployerJobListView(EmployerJobMixin, ListView):
    template_name = "jobs/employer/job_list.html"
    context_object_name = "jobs"
    paginate_by = 30

    def get_queryset(self):
        return self.get_jobs()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        counts = job_counts_by_status(jobs=self.get_jobs())
        context.update(
            status_counts=[
                {"value": s, "label": Status(s).label, "count": counts[s]}
                for s in Status.values
                if counts[s]
            ],
            total=sum(counts.values()),
            listed=_listed(self.employer),
            today=timezone.localdate(),
        )
        return context


class _JobFormView(EmployerJobMixin, TemplateView):
    """Show the post form; POST with `preview` checks it, otherwise saves a draft."""

    template_name = "jobs/employer/job_form.html"
    job: Job | None = None

    def initial(self) -> dict[str, Any]:
        raise NotImplementedError

    def initial_windows(self) -> list[Window]:
        return []

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = JobForm(initial=self.initial())
        formset = window_formset(windows=self.initial_windows())
        return self.render_to_response(self.get_context_data(form=form, formset=formset))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = JobForm(request.POST)
        formset = window_formset(request.POST)
        if not (form.is_valid() and formset.is_valid()):
            return self.render_to_response(self.get_context_data(form=form, formset=formset))
        fields, windows = form.job_fields(), formset.windows()
        if request.POST.get("preview"):
            return self.preview(form, formset, fields, windows)
        try:
            job, warnings = self.save(fields, windows)
        except DomainError as exc:
            form.add_error(None, exc.message)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, gettext("岗位已保存。"))
            for warning in warnings:
                messages.warning(request, warning.message)
            return redirect("jobs:employer-job-detail", pk=job.pk)
        return self.render_to_response(self.get_context_data(form=form, formset=formset))

    def preview(self, form, formset, fields, windows) -> HttpResponse:
        try:
            check = job_check(fields=fields, windows=windows, today=timezone.localdate())
        except DomainError as exc:
            form.add_error(None, exc.message)
            return self.render_to_response(self.get_context_data(form=form, formset=formset))
        preview_job = Job(employer=self.employer, **fields)
        preview_job.hours_per_week = check.hours_per_week
        preview_job.hourly_min, preview_job.hourly_max = check.hourly_min, check.hourly_max
        preview_job.school_run_friendly = check.school_run_friendly
        return self.render_to_response(
            self.get_context_data(
                form=form,
                formset=formset,
                preview=preview_job,
                preview_windows=describe_windows(windows),
                preview_modes=post_mode_labels(fields["post_modes"]),
                **check_context(fields=fields, windows=windows, check=check),
            )
        )

    def save(self, fields, windows):
        raise NotImplementedError

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(job=self.job, listed=_listed(self.employer), **kwargs)


class EmployerJobCreateView(_JobFormView):
    def initial(self) -> dict[str, Any]:
        return JobForm.initial_for_employer(self.employer)

    def save(self, fields, windows):
        return job_create(
            employer=self.employer, created_by=self.request.user, fields=fields, windows=windows
        )


class EmployerJobEditView(_JobFormView):
    def setup_job(self) -> HttpResponse | None:
        self.job = self.get_job()
        if self.job.status not in EDITABLE:
            messages.error(self.request, gettext("该岗位已结束，不能修改；可以复制为新岗位。"))
            return redirect("jobs:employer-job-detail", pk=self.job.pk)
        return None

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self.setup_job() or super().get(request, *args, **kwargs)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self.setup_job() or super().post(request, *args, **kwargs)

    def initial(self) -> dict[str, Any]:
        return JobForm.initial_for_job(self.job)

    def initial_windows(self) -> list[Window]:
        return windows_of(self.job)

    def save(self, fields, windows):
        return job_update(
            job=self.job, updated_by=self.request.user, fields=fields, windows=windows
        )


class EmployerJobDetailView(EmployerJobMixin, TemplateView):
    template_name = "jobs/employer/job_detail.html"

    def get_job(self) -> Job:
        # The applications count comes in the same query (a reverse relation, no import).
        jobs = self.get_jobs().annotate(application_count=Count("applications"))
        return get_object_or_404(jobs, pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        job = self.get_job()
        today = timezone.localdate()
        fields = {name: getattr(job, name) for name in INPUT_FIELDS}
        windows = windows_of(job)
        try:
            check = job_check(fields=fields, windows=windows, today=today)
        except DomainError:
            check = None
        events = [
            {
                "occurred_at": event.occurred_at,
                "from_label": Status(event.from_status).label if event.from_status else "",
                "to_label": Status(event.to_status).label,
                "reason": event.reason,
            }
            # Staff names stay inside the bureau: the employer sees what and why.
            for event in job.events.order_by("occurred_at", "pk")
        ]
        return super().get_context_data(
            job=job,
            windows_text=describe_windows(windows),
            post_modes=post_mode_labels(job.post_modes),
            status_help=STATUS_HELP[job.status],
            show_reason=job.status in REASON_STATUSES and bool(job.status_reason),
            events=events,
            listed=_listed(self.employer),
            can_edit=job.status in EDITABLE,
            can_submit=job.status in SUBMITTABLE,
            can_close=job.status in CLOSABLE,
            can_renew=job.status in RENEWABLE,
            close_form=JobCloseForm(auto_id="id_close_%s"),
            renew_form=JobRenewForm(
                auto_id="id_renew_%s",
                initial={"valid_until": max(job.valid_until, today) + RENEW_BY_DEFAULT},
            ),
            **check_context(fields=fields, windows=windows, check=check),
            **kwargs,
        )


class _JobActionView(EmployerJobMixin, View):
    """A POST on one of the current employer's posts; back to its page."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        job = self.get_job()
        try:
            response = self.act(job)
        except DomainError as exc:
            messages.error(request, exc.message)
            response = None
        return response or redirect("jobs:employer-job-detail", pk=job.pk)

    def act(self, job: Job) -> HttpResponse | None:
        raise NotImplementedError


class EmployerJobSubmitView(_JobActionView):
    def act(self, job: Job) -> None:
        job = job_submit(job=job, submitted_by=self.request.user)
        if job.status == Status.PUBLISHED:
            messages.success(self.request, gettext("岗位已发布，求职者现在可以看到。"))
        else:
            messages.success(self.request, gettext("岗位已提交，区人社局审核通过后将公开展示。"))


class EmployerJobCloseView(_JobActionView):
    def act(self, job: Job) -> None:
        form = JobCloseForm(self.request.POST)
        if not form.is_valid():
            messages.error(self.request, gettext("请选择结束原因。"))
            return
        job_close(job=job, closed_by=self.request.user, reason=form.cleaned_data["reason"])
        messages.success(self.request, gettext("招聘已结束，谢谢您告诉我们结果。"))


class EmployerJobRenewView(_JobActionView):
    def act(self, job: Job) -> None:
        form = JobRenewForm(self.request.POST)
        if not form.is_valid():
            messages.error(self.request, gettext("请填写新的截止日期。"))
            return
        job = job_renew(
            job=job, renewed_by=self.request.user, valid_until=form.cleaned_data["valid_until"]
        )
        messages.success(
            self.request,
            gettext("岗位已延期至%(d)s。") % {"d": job.valid_until.isoformat()},
        )


class EmployerJobDuplicateView(_JobActionView):
    def act(self, job: Job) -> HttpResponse:
        copy = job_duplicate(job=job, created_by=self.request.user)
        messages.success(self.request, gettext("已复制为新的草稿，请修改后提交。"))
        return redirect("jobs:employer-job-edit", pk=copy.pk)


urlpatterns = [
    path("employer/jobs/", EmployerJobListView.as_view(), name="employer-job-list"),
    path("employer/jobs/new/", EmployerJobCreateView.as_view(), name="employer-job-new"),
    path("employer/jobs/<int:pk>/", EmployerJobDetailView.as_view(), name="employer-job-detail"),
    path("employer/jobs/<int:pk>/edit/", EmployerJobEditView.as_view(), name="employer-job-edit"),
    path(
        "employer/jobs/<int:pk>/submit/",
        EmployerJobSubmitView.as_view(),
        name="employer-job-submit",
    ),
    path(
        "employer/jobs/<int:pk>/close/", EmployerJobCloseView.as_view(), name="employer-job-close"
    ),
    path(
        "employer/jobs/<int:pk>/renew/", EmployerJobRenewView.as_view(), name="employer-job-renew"
    ),
    path(
        "employer/jobs/<int:pk>/duplicate/",
        EmployerJobDuplicateView.as_view(),
        name="employer-job-duplicate",
    ),
]
